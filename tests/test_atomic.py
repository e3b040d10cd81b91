"""Outputs are written atomically, with the usual file mode, and never half-written."""

from __future__ import annotations

import os
import stat

import pytest

from genetics.io.atomic import atomic_open


def test_atomic_write_mode_follows_umask(tmp_path):
    target = tmp_path / "out.csv"
    old = os.umask(0o022)
    try:
        with atomic_open(target) as fh:
            fh.write("a,b\n")
    finally:
        os.umask(old)
    assert target.read_text() == "a,b\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_failed_write_leaves_no_file_and_keeps_old(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
