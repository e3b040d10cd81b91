"""Circuitscape's own verification suite (../shared/reference/circuitscape), run from its .ini files.

Each case runs with the working directory set to the suite folder (so the .ini's relative paths
resolve as in Circuitscape) and ``output_file`` redirected to a temporary folder; outputs are
compared with the suite's rules (README "How to compare").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED

SUITE = SHARED / "reference" / "circuitscape"
CASES = json.loads((SUITE / "cases.json").read_text()) if (SUITE / "cases.json").exists() else []


def _table(path: Path) -> np.ndarray:
    rows = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    return np.array(rows, dtype=float)


def _grid(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()[6:]
    return np.array([ln.split() for ln in lines if ln.strip()], dtype=float)


def compare(expected: Path, got: Path) -> str | None:
    """None when *got* matches *expected* under the suite's rules, else a reason."""
    if not got.exists():
        return f"missing {got.name}"
    name = expected.name
    if name.endswith("_3columns.out"):
        return None  # stale in the suite, not compared upstream
    if name.endswith(".asc"):
        e, g = _grid(expected), _grid(got)
        if e.shape != g.shape:
            return f"{name}: shape {g.shape} vs {e.shape}"
        ss = float(np.sum((e - g) ** 2))
        return None if ss < 1e-6 else f"{name}: sum sq diff {ss:.3g}"
    e, g = _table(expected), _table(got)
    if e.shape != g.shape:
        return f"{name}: shape {g.shape} vs {e.shape}"
    if "currents" in name:
        e, g = e[np.lexsort(e.T[::-1])], g[np.lexsort(g.T[::-1])]
        ss = float(np.sum((e - g) ** 2))
        return None if ss < 1e-6 else f"{name}: sum sq diff {ss:.3g}"
    if "voltages" in name:
        e, g = e[np.argsort(e[:, 0], kind="stable")], g[np.argsort(g[:, 0], kind="stable")]
    d = float(np.max(np.abs(e - g)))
    return None if d <= 1e-3 else f"{name}: max abs diff {d:.3g}"


def run_case(case: dict, outdir: Path, solver: str | None = None, executor=None) -> list[str]:
    """Run one suite case; return the list of mismatches (empty = pass)."""
    from connectivity.circuit.ini import read_ini
    from connectivity.circuit.run import run_config

    cwd = os.getcwd()
    os.chdir(SUITE)
    try:
        cfg = read_ini(case["ini"])
        stem = Path(cfg["output_file"].strip()).stem
        cfg.values["output_file"] = str(outdir / f"{stem}.out")
        run_config(cfg, solver=solver, executor=executor)
    finally:
        os.chdir(cwd)
    # Upstream rule: every output written that has an expected counterpart must match. (Some
    # expected files are stale leftovers of Circuitscape 4 runs with other options, e.g.
    # sgVerify13's per-pair maps of pairs its include file excludes.)
    problems = []
    expected = {Path(rel).name for rel in case["expected_files"]}
    compared = 0
    for got in sorted(outdir.iterdir()):
        if got.name in expected:
            compared += 1
            p = compare(SUITE / "output_verify" / got.name, got)
            if p:
                problems.append(p)
    if compared == 0:
        problems.append("no output matched an expected file")
    for must in (f"{case['case']}_resistances.out",):
        if must in expected and not (outdir / must).exists():
            problems.append(f"missing {must}")
    return problems


@pytest.mark.parametrize("solver", ["cg+amg", "direct"])
@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_circuitscape_case(case, solver, tmp_path, shared):
    shared("reference", "circuitscape", "cases.json")
    problems = run_case(case, tmp_path, solver=solver)
    assert not problems, "; ".join(problems[:5])
