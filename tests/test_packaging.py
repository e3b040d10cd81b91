"""The generic top-level names (cli, genetics, connectivity) must be this project's."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.parametrize("name", ["genetics", "connectivity", "cli", "fixtures"])
def test_top_level_package_is_ours(name):
    mod = importlib.import_module(name)
    path = Path(mod.__file__).resolve()
    in_tree = ROOT in path.parents
    if not in_tree:
        from importlib.metadata import distribution

        files = {str(f) for f in distribution("bigcats").files or []}
        assert f"{name}/__init__.py" in files, f"{name} imported from {path}, not from bigcats"


def test_version_and_help(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and "bigcats" in out
    code, out, _ = run_cli("--help")
    assert code == 0 and "genetics" in out and "connectivity" in out


def test_usage_error_exits_2(run_cli):
    code, _, err = run_cli("genetics", "no-such-verb")
    assert code == 2
