"""Shared test fixtures: paths to ../shared reference data (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BIGCATS_SHARED", ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """Path under ../shared, or skip the test when it is not there."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"reference data not available: {p}")
    return p


@pytest.fixture
def shared():
    """Callable fixture: shared('reference', 'genetics', ...) -> Path or skip."""
    return shared_path


@pytest.fixture
def run_cli(tmp_path):
    """Run the bigcats CLI in-process; returns (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from cli.main import main

    def _run(*args: str, input: str | None = None):
        runner = CliRunner()
        result = runner.invoke(_entry, list(args), input=input, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    def _entry_main(args):
        main(list(args))

    import click

    @click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                     "help_option_names": []})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def _entry(args):
        main(list(args))

    return _run
