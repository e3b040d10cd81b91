"""Barrier Mapper scores on an analytic wall landscape, checked by recomputing the LCD."""

from __future__ import annotations

import json

import numpy as np
import pytest
from affine import Affine

from connectivity.barriers import barrier_scores, disk_footprint, top_barrier_sites, write_barrier_outputs
from connectivity.leastcost import cost_distance
from connectivity.raster import Raster, read_raster
from genetics.errors import InputDataError

CS = 100.0


def _wall(rows=9, cols=15, wall_col=7, wall_r=100.0):
    res = np.ones((rows, cols))
    res[:, wall_col] = wall_r
    valid = np.ones_like(res, dtype=bool)
    a = np.zeros_like(valid)
    a[:, 0] = True
    b = np.zeros_like(valid)
    b[:, -1] = True
    cwd = np.stack([cost_distance(res, valid, a, CS), cost_distance(res, valid, b, CS)])
    lcd = np.array([[0, cwd[0][b].min()], [cwd[1][a].min(), 0]])
    return res, valid, a, b, cwd, lcd


def test_footprint():
    fp = disk_footprint(100.0, (100.0, 100.0))
    assert fp.astype(int).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert disk_footprint(150.0, (100.0, 100.0)).sum() == 9
    assert disk_footprint(100.0, (100.0, 50.0)).shape == (5, 3)


def test_wall_analytic_and_recomputed():
    res, valid, a, b, cwd, lcd = _wall()
    cols = res.shape[1]
    # straight crossing: (cols - 3) ordinary steps + 2 half-wall steps of (1 + 100)/2 each
    assert lcd[0, 1] == pytest.approx((cols - 3) * CS + 101 * CS)
    out = barrier_scores(cwd, lcd, [(0, 1)], [CS], (CS, CS), valid)
    # restoring the plus-shaped disk on the wall saves 99 cell widths over a 2-cell diameter
    assert out.score[:, 7] == pytest.approx(np.full(res.shape[0], 99 * CS / (2 * CS)))
    assert np.allclose(out.score[:, :5], 0.0) and np.allclose(out.score[:, 10:], 0.0)
    # the same number by restoring the disk and recomputing the least-cost distance
    r, c = 4, 7
    fp = disk_footprint(CS, (CS, CS))
    res2 = res.copy()
    sub = res2[r - 1:r + 2, c - 1:c + 2]
    sub[fp] = 1.0
    lcd2 = cost_distance(res2, valid, a, CS)[b].min()
    assert (lcd[0, 1] - lcd2) / (2 * CS) == pytest.approx(out.score[r, c])
    raw = barrier_scores(cwd, lcd, [(0, 1)], [CS], (CS, CS), valid, per_unit=False)
    assert raw.score[r, c] == pytest.approx(lcd[0, 1] - lcd2)


def test_several_radii_and_sites(tmp_path):
    res, valid, a, b, cwd, lcd = _wall(rows=21, cols=21, wall_col=10)
    out = barrier_scores(cwd, lcd, [(0, 1)], [CS, 2 * CS, 3 * CS], (CS, CS), valid)
    assert out.by_radius.shape == (3,) + res.shape
    assert np.nanmax(out.score) == pytest.approx(99 * CS / (2 * CS))
    assert np.all(out.best_radius[:, 10] == CS)  # smallest circle is the most efficient per unit
    summed = barrier_scores(cwd, lcd, [(0, 1), (0, 1)], [CS], (CS, CS), valid, combine="sum")
    assert np.nanmax(summed.score) == pytest.approx(2 * np.nanmax(out.score))
    grid = Raster(res, Affine(CS, 0, 500000.0, 0, -CS, 5000000.0), None)
    sites = top_barrier_sites(out, grid, n=5, pairs_ids=[(1, 2)])
    assert len(sites) == 5 and (sites["col"] == 10).all() and sites["link"].eq("1-2").all()
    # non-overlapping: sites on the wall are at least one radius apart
    assert np.diff(np.sort(sites["row"].to_numpy())).min() >= 2
    paths = write_barrier_outputs(tmp_path, out, grid, sites)
    assert read_raster(tmp_path / "barriers.tif").values[4, 10] == pytest.approx(49.5)
    doc = json.loads((tmp_path / "barrier_sites.geojson").read_text())
    assert len(doc["features"]) == 5 and doc["features"][0]["geometry"]["type"] == "Polygon"
    assert len(paths) == 6


def test_bad_parameters():
    res, valid, a, b, cwd, lcd = _wall()
    with pytest.raises(InputDataError):
        barrier_scores(cwd, lcd, [(0, 1)], [10.0], (CS, CS), valid)
    with pytest.raises(InputDataError):
        barrier_scores(cwd, lcd, [(0, 1)], [], (CS, CS), valid)
    with pytest.raises(InputDataError):
        barrier_scores(cwd, lcd, [(0, 1)], [CS], (CS, CS), valid, combine="mean")
