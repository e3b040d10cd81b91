"""Options and output helpers shared by every verb."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pandas as pd

from genetics.io.tables import TABLE_FORMATS, write_table
from genetics.parallel import make_executor

F = Callable[..., Any]


def out_option(help: str = "Output file; format from the extension or --to. Default: stdout.") -> Callable[[F], F]:
    return click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help)


def out_dir_option(help: str = "Output folder (created if missing).", required: bool = True) -> Callable[[F], F]:
    return click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=required, help=help)


def to_option(choices: tuple[str, ...] = TABLE_FORMATS) -> Callable[[F], F]:
    return click.option("--to", type=click.Choice(choices, case_sensitive=False), default=None,
                        help="Output format (overrides the extension).")


def seed_option(f: F) -> F:
    return click.option("--seed", type=int, default=1, show_default=True,
                        help="Random seed: results are identical for the same seed.")(f)


def executor_options(f: F) -> F:
    f = click.option("--scheduler", metavar="ADDRESS", default=None,
                     help="Run fan-out work on this Dask scheduler (needs bigcats[distributed]).")(f)
    f = click.option("--workers", type=click.IntRange(1), default=None,
                     help="Run fan-out work in a local pool of N processes.")(f)
    return f


def executor_from(workers: int | None, scheduler: str | None):
    """The executor the options ask for (None = in-process)."""
    return make_executor(workers=workers, scheduler=scheduler)


def emit_table(df: pd.DataFrame, out: Path | None, to: str | None = None) -> None:
    """Write a result table to *out* (atomically) or to stdout."""
    write_table(df, out, to=to)
    if out is not None:
        info(f"wrote {out}")


def info(message: str) -> None:
    """A log line on stderr (suppressed by -q)."""
    if os.environ.get("BIGCATS_QUIET") != "1":
        click.echo(message, err=True)
