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


# ---------------------------------------------------------------- genotype inputs (all genetics verbs)
def genotypes_from_option(f: F) -> F:
    """``--from FORMAT``: force the genotype-file format instead of sniffing it."""
    from genetics.io.formats import READ_FORMATS

    return click.option("--from", "from_fmt", type=click.Choice(READ_FORMATS, case_sensitive=False),
                        default=None, help="Genotype file format (default: sniffed from the content).")(f)


def load_genotypes(path: Path, from_fmt: str | None = None, metadata: Path | None = None, **reader_options):
    """Read a genotype file (and join a metadata CSV), logging the reader's notes."""
    from genetics.io.formats import read_genotypes

    g = read_genotypes(path, from_fmt, **reader_options)
    if metadata is not None:
        from genetics.io.metadata import attach_metadata

        g = attach_metadata(g, metadata)
    for note in g.notes:
        info(f"{path}: note: {note}")
    return g


# ---------------------------------------------------------------- landscape inputs (connectivity verbs)
def load_resistance_and_cores(resistance_path: Path, cores_path: Path, *, radius_km: float | None = None,
                              snap_km: float = 0.0):
    """A metric resistance raster, checked, and the core areas on its grid (one-line errors)."""
    from connectivity.cores import read_cores
    from connectivity.leastcost import check_resistance
    from connectivity.raster import read_raster, require_metric
    from genetics.errors import InputDataError

    res = read_raster(resistance_path)
    require_metric(res, name=str(resistance_path))
    try:
        check_resistance(res.values, res.valid)
    except InputDataError as exc:
        raise exc.located(path=resistance_path) from None
    coreset = read_cores(cores_path, res, radius_km=radius_km, snap_km=snap_km)
    return res, coreset
