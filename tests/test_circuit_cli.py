"""CLI of the circuit engine: Circuitscape .ini drop-in, native flags, one-line bad-input errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest


def _asc(path: Path, values, cellsize=1.0, xll=0.0, yll=0.0):
    v = np.asarray(values, dtype=float)
    with open(path, "w") as fh:
        fh.write(f"ncols {v.shape[1]}\nnrows {v.shape[0]}\nxllcorner {xll}\nyllcorner {yll}\n"
                 f"cellsize {cellsize}\nNODATA_value -9999\n")
        np.savetxt(fh, v, fmt="%g")
    return path


def test_circuitscape_ini_runs_from_suite_folder(shared, run_cli, tmp_path):
    suite = shared("reference", "circuitscape")
    cwd = os.getcwd()
    os.chdir(suite)
    try:
        code, out, err = run_cli("connectivity", "circuitscape", "input/raster/pairwise/9/sgVerify9.ini",
                                 "--output-file", str(tmp_path / "sg9.out"))
    finally:
        os.chdir(cwd)
    assert code == 0, err
    got = np.loadtxt(tmp_path / "sg9_resistances.out")
    exp = np.loadtxt(suite / "output_verify" / "sgVerify9_resistances.out")
    assert np.max(np.abs(got - exp)) <= 1e-3
    assert (tmp_path / "sg9_cum_curmap.asc").exists()


def test_native_verb_pairwise_and_advanced(run_cli, tmp_path):
    hab = _asc(tmp_path / "r.asc", np.ones((4, 6)))
    pts = _asc(tmp_path / "p.asc", [[1, 0, 0, 0, 0, 2], [0] * 6, [0] * 6, [3, 0, 0, 0, 0, 0]])
    code, _, err = run_cli("connectivity", "circuit", "--habitat", str(hab), "--points", str(pts),
                           "--four-neighbors", "--avg", "resistance", "-o", str(tmp_path / "run.out"),
                           "--cur-maps", "--max-map", "--solver", "direct")
    assert code == 0, err
    R = np.loadtxt(tmp_path / "run_resistances.out")
    assert R[0, 1:].tolist() == [1, 2, 3]
    assert R[1, 2] > 0 and np.allclose(R[1:, 1:], R[1:, 1:].T)
    assert (tmp_path / "run_curmap_1_2.asc").exists() and (tmp_path / "run_max_curmap.asc").exists()
    src = _asc(tmp_path / "s.asc", [[1, 0, 0, 0, 0, 0]] + [[0] * 6] * 3)
    gnd = _asc(tmp_path / "g.asc", [[-9999] * 6] * 3 + [[-9999] * 5 + [0]])
    code, _, err = run_cli("connectivity", "circuit", "--scenario", "advanced", "--habitat", str(hab),
                           "--sources", str(src), "--grounds", str(gnd), "-o", str(tmp_path / "adv.out"),
                           "--cur-maps", "--volt-maps")
    assert code == 0, err
    v = np.loadtxt(tmp_path / "adv_voltmap.asc", skiprows=6)
    assert v[3, 5] == 0 and v[0, 0] > 0


@pytest.mark.parametrize("problem", ["zero", "negative", "misaligned", "outside", "all_nodata", "no_habitat"])
def test_bad_input_is_one_line_error(problem, run_cli, tmp_path):
    r = np.ones((3, 4))
    pts_grid = [[1, 0, 0, 2], [0] * 4, [0] * 4]
    if problem == "zero":
        r[1, 1] = 0
    if problem == "negative":
        r[1, 1] = -3
    if problem == "no_habitat":
        r[:] = -9999
    if problem == "all_nodata":
        r[0, 0] = r[0, 3] = -9999
    hab = _asc(tmp_path / "r.asc", r)
    if problem == "misaligned":
        pts = _asc(tmp_path / "p.asc", pts_grid, xll=5.0)
    elif problem == "outside":
        pts = tmp_path / "p.txt"
        pts.write_text("1 0.5 2.5\n2 40.5 0.5\n")
    else:
        pts = _asc(tmp_path / "p.asc", pts_grid)
    code, out, err = run_cli("connectivity", "circuit", "--habitat", str(hab), "--points", str(pts),
                             "-o", str(tmp_path / "x.out"), "--cur-maps")
    assert code == 1
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("bigcats: error:")]
    assert len(lines) == 1 and "Traceback" not in err
    assert not (tmp_path / "x_cum_curmap.asc").exists()


def test_demo_step_runs_a_circuitscape_ini_on_both_landscapes(tmp_path, run_cli):
    """The demo's circuit step writes a reusable .ini; rerunning it through the CLI gives the same matrix."""
    import numpy as np
    import pandas as pd

    from cli.circuit import _demo

    _demo(tmp_path, 1)
    for region in ("amur", "altai_sayan"):
        work = tmp_path / "circuit" / region
        table = pd.read_csv(work / "effective_resistances.csv")
        assert len(table) >= 15 and (table["effective_resistance"] > 0).all()
        assert (work / f"{region}_cum_curmap.tif").exists()
        first = (work / f"{region}_resistances.out").read_text()
        code, _, err = run_cli("connectivity", "circuitscape", str(work / f"{region}.ini"),
                               "--output-file", str(tmp_path / f"again_{region}.out"))
        assert code == 0, err
        again = (tmp_path / f"again_{region}_resistances.out").read_text()
        a = np.loadtxt(first.splitlines()[1:])
        b = np.loadtxt(again.splitlines()[1:])
        np.testing.assert_allclose(a, b, rtol=1e-9)


def _ini(path: Path, **kw) -> Path:
    path.write_text("[Circuitscape mode]\n" + "".join(f"{k} = {v}\n" for k, v in kw.items()))
    return path


def test_reclass_table_equals_a_reclassified_habitat_map(run_cli, tmp_path):
    """Circuitscape's use_reclass_table: classes are mapped before the resistances are used,
    row by row (rows chain, as in Circuitscape 4's read_cell_map)."""
    classes = np.array([[1, 1, 2, 3, 3, 1], [2, 2, 2, 1, 3, 1], [1, 3, 3, 2, 2, 1], [1, 1, 2, 3, 1, 1]])
    table = tmp_path / "reclass.txt"
    table.write_text("1 5\n2 1\n3 20\n5 2\n")  # 1 -> 5 -> 2 (chained), 2 -> 1, 3 -> 20
    direct = np.select([classes == 1, classes == 2, classes == 3], [2.0, 1.0, 20.0])
    pts = _asc(tmp_path / "p.asc", [[1, 0, 0, 0, 0, 2], [0] * 6, [0] * 6, [3, 0, 0, 0, 0, 0]])
    common = dict(data_type="raster", scenario="pairwise", point_file=str(pts))
    _ini(tmp_path / "a.ini", habitat_file=str(_asc(tmp_path / "c.asc", classes)), use_reclass_table="True",
         reclass_file=str(table), output_file=str(tmp_path / "a.out"), **common)
    _ini(tmp_path / "b.ini", habitat_file=str(_asc(tmp_path / "d.asc", direct)),
         output_file=str(tmp_path / "b.out"), **common)
    for name in ("a", "b"):
        code, _, err = run_cli("connectivity", "circuitscape", str(tmp_path / f"{name}.ini"))
        assert code == 0, err
    ra = np.loadtxt(tmp_path / "a_resistances.out")
    rb = np.loadtxt(tmp_path / "b_resistances.out")
    np.testing.assert_allclose(ra, rb, rtol=1e-9)
    # without the table the classes themselves are the resistances: different numbers
    _ini(tmp_path / "c.ini", habitat_file=str(tmp_path / "c.asc"), output_file=str(tmp_path / "c.out"), **common)
    assert run_cli("connectivity", "circuitscape", str(tmp_path / "c.ini"))[0] == 0
    assert not np.allclose(np.loadtxt(tmp_path / "c_resistances.out"), rb)
    # the native verb's --reclass is the same option
    code, _, err = run_cli("connectivity", "circuit", "--habitat", str(tmp_path / "c.asc"), "--points", str(pts),
                           "--reclass", str(table), "-o", str(tmp_path / "n.out"))
    assert code == 0, err
    np.testing.assert_allclose(np.loadtxt(tmp_path / "n_resistances.out"), rb, rtol=1e-9)


def test_reclass_table_in_network_mode_and_bad_table(run_cli, tmp_path):
    edges = tmp_path / "g.txt"
    edges.write_text("1 2 7\n2 3 7\n3 4 9\n")
    table = tmp_path / "t.txt"
    table.write_text("7 1\n9 2\n")
    focal = tmp_path / "f.txt"
    focal.write_text("1\n4\n")
    _ini(tmp_path / "n.ini", data_type="network", scenario="pairwise", habitat_file=str(edges),
         point_file=str(focal), use_reclass_table="True", reclass_file=str(table),
         output_file=str(tmp_path / "n.out"))
    code, _, err = run_cli("connectivity", "circuitscape", str(tmp_path / "n.ini"))
    assert code == 0, err
    R = np.loadtxt(tmp_path / "n_resistances.out")
    assert R[1, 2] == pytest.approx(1 + 1 + 2)
    table.write_text("7 1\nseven 2\n")
    code, _, err = run_cli("connectivity", "circuitscape", str(tmp_path / "n.ini"))
    assert code == 1 and "t.txt:2" in err and len(err.strip().splitlines()) == 1
