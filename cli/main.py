"""The `bigcats` command group, error handling and exit codes.

Exit status: 0 success, 1 bad input data (one line ``bigcats: error: FILE:LINE: ...``),
2 usage error (Click's). ``--debug`` shows the traceback instead of the one line.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

import click

from genetics.errors import BigcatsError

from .common import info

# Modules that contribute verbs; each has genetics_commands, connectivity_commands,
# root_commands and demo_steps (see cli/genotype_files.py for the shape).
COMMAND_MODULES = ("genotype_files", "identify", "popgen", "landscape", "circuit", "landgen", "planning")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("bigcats")
    except Exception:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="bigcats")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="No log lines or progress bars.")
@click.pass_context
def bigcats(ctx: click.Context, debug: bool, verbose: int, quiet: bool) -> None:
    """Genetics and landscape connectivity of Amur tigers, Amur leopards and snow leopards."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if quiet:
        os.environ["BIGCATS_QUIET"] = "1"
    level = logging.WARNING - 10 * verbose if not quiet else logging.ERROR
    logging.basicConfig(level=level, format="bigcats: %(message)s", stream=sys.stderr)


@bigcats.group()
def genetics() -> None:
    """Genotype files, identification, diversity, relatedness, inbreeding."""


@bigcats.group()
def connectivity() -> None:
    """Resistance surfaces, least-cost and circuit-theory corridors, ranking."""


@bigcats.command()
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("bigcats-demo"), show_default=True, help="Output folder.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
def demo(out: Path, seed: int) -> None:
    """Run the main job on the bundled fixtures and write every table, raster, map and report."""
    out.mkdir(parents=True, exist_ok=True)
    for module in _modules():
        for step in module.demo_steps:
            step(out, seed)
    info(f"demo finished: results in {out}/")


def _modules():
    return [importlib.import_module(f"cli.{name}") for name in COMMAND_MODULES]


def _register() -> None:
    for module in _modules():
        for cmd in module.genetics_commands:
            genetics.add_command(cmd)
        for cmd in module.connectivity_commands:
            connectivity.add_command(cmd)
        for cmd in module.root_commands:
            bigcats.add_command(cmd)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps BigcatsError to one line and exit 1."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        bigcats.main(args=argv, prog_name="bigcats", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("bigcats: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BigcatsError as exc:
        if debug:
            raise
        click.echo(f"bigcats: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (OSError, MemoryError) as exc:
        if debug:
            raise
        name = getattr(exc, "filename", None)
        where = f"{name}: " if name else ""
        click.echo(f"bigcats: error: {where}{exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}", err=True)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
