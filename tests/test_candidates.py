"""Candidate-site ranking equals a brute-force recomputation of the whole analysis per candidate."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from affine import Affine

from connectivity.candidates import (
    Candidate,
    apply_candidate,
    candidates_geojson,
    greedy_portfolio,
    rank_candidates,
    read_candidates,
)
from connectivity.circuit.graph import conductance_from_values, raster_graph
from connectivity.circuit.modes import pairwise_solve
from connectivity.leastcost import least_cost_analysis
from connectivity.raster import Raster
from genetics.errors import InputDataError

CS = 1000.0


def _landscape(seed: int, rows: int = 24, cols: int = 28):
    rng = np.random.default_rng(seed)
    res = np.exp(rng.normal(1.0, 1.0, (rows, cols)))
    res[rng.random((rows, cols)) < 0.08] = -9999.0  # nodata holes
    cores = np.zeros((rows, cols), dtype=np.int64)
    cores[1:4, 1:4] = 1
    cores[1:3, cols - 4:cols - 1] = 2
    cores[rows - 4:rows - 1, 2:5] = 3
    cores[rows - 3:rows - 1, cols - 3:cols - 1] = 4
    res[cores > 0] = 1.0
    grid = Raster(res, Affine(CS, 0, 400000.0, 0, -CS, 5_000_000.0), None, -9999.0)
    cands = []
    valid = grid.valid
    for k in range(6):
        r, c = rng.integers(5, rows - 5), rng.integers(5, cols - 5)
        h, w = rng.integers(1, 4), rng.integers(1, 4)
        m = np.zeros_like(valid)
        m[r:r + h, c:c + w] = True
        cells = np.flatnonzero((m & valid & (cores == 0)).ravel())
        cands.append(Candidate(f"s{k}", float(rng.uniform(0.1, 0.5)), float(rng.uniform(1, 3)), cells))
    return grid, cores, cands


def _brute_force(grid: Raster, cores: np.ndarray, cand: Candidate | None):
    """Whole analysis from scratch: Circuitscape pairwise (focal regions) + least-cost analysis."""
    vals = grid.values if cand is None else np.where(grid.valid, apply_candidate(grid.values, cand), grid.nodata)
    g = grid.with_values(vals)
    cond = conductance_from_values(g.values, g.valid, is_resistance=True)
    rg = raster_graph(cond, neighbors=8, avg="conductance")
    ids = np.unique(cores[cores > 0])
    focal = [np.unique(rg.node_map[cores == i]) for i in ids]
    R = pairwise_solve(rg.graph, focal, solver="direct").R
    L = least_cost_analysis(g, cores, neighbors=8).lcd
    pairs = list(combinations(range(ids.size), 2))
    i, j = np.array(pairs).T
    okR = R[i, j] > 0
    return float(R[i, j][okR].sum()), float(L[i, j][np.isfinite(L[i, j])].sum())


@pytest.mark.parametrize("seed", [11, 12])
def test_ranking_equals_brute_force(seed):
    grid, cores, cands = _landscape(seed)
    base_r, base_l = _brute_force(grid, cores, None)
    want_r, want_l = [], []
    for c in cands:
        r, l = _brute_force(grid, cores, c)
        want_r.append(base_r - r)
        want_l.append(base_l - l)
    by_reff = rank_candidates(grid, cores, cands, metric="reff", metrics=("reff", "lcd"))
    got = by_reff.set_index("id")
    for c, wr, wl in zip(cands, want_r, want_l):
        assert got.loc[c.id, "delta_reff_sum"] == pytest.approx(wr, rel=1e-6, abs=1e-9)
        assert got.loc[c.id, "delta_lcd_sum"] == pytest.approx(wl, rel=1e-9, abs=1e-6)
    ids = [c.id for c in cands]
    order_r = [ids[k] for k in np.lexsort((ids, -np.round(want_r, 9)))]
    assert by_reff["id"].tolist() == order_r
    by_lcd = rank_candidates(grid, cores, cands, metric="lcd", metrics=("lcd",))
    order_l = [ids[k] for k in np.lexsort((ids, -np.round(want_l, 6)))]
    assert by_lcd["id"].tolist() == order_l
    assert by_lcd["rank"].tolist() == list(range(1, 7))
    assert by_reff["delta_reff_sum"].gt(0).any()


def test_executor_identical_and_site_touching_a_core():
    grid, cores, cands = _landscape(5)
    # a site that touches core 1's boundary (edges between F and T change)
    m = np.zeros(grid.shape, dtype=bool)
    m[3:6, 3:6] = True
    cells = np.flatnonzero((m & grid.valid & (cores == 0)).ravel())
    # and one that overlaps core 4's cells and its surroundings
    m2 = np.zeros(grid.shape, dtype=bool)
    m2[18:24, 22:27] = True
    over = np.flatnonzero((m2 & grid.valid).ravel())
    cands = cands + [Candidate("touch", 0.2, 1.0, cells), Candidate("over", 0.3, 1.0, over)]
    a = rank_candidates(grid, cores, cands, metrics=("reff",))
    base_r, _ = _brute_force(grid, cores, None)
    for sid in ("touch", "over"):
        r, _ = _brute_force(grid, cores, next(c for c in cands if c.id == sid))
        assert a.set_index("id").loc[sid, "delta_reff_sum"] == pytest.approx(base_r - r, rel=1e-6)
    with ThreadPoolExecutor(2) as ex:
        c = rank_candidates(grid, cores, cands, metrics=("reff",), executor=ex)
    assert a.equals(c)


def test_reff_independent_scipy_solve():
    """One pair checked against a direct scipy solve on a hand-built Laplacian (regions merged)."""
    grid, cores, cands = _landscape(7, rows=12, cols=14)
    cores2 = np.where(np.isin(cores, [1, 4]), cores, 0)
    t = rank_candidates(grid, cores2, cands[:1], metrics=("reff",))

    def reff(vals):
        g = np.where(grid.valid, 1.0 / np.where(grid.valid, vals, 1.0), 0.0)
        rows, cols = g.shape
        node = -np.ones(g.shape, dtype=int)
        hab = (g > 0) & (cores2 == 0)
        node[hab] = np.arange(hab.sum())
        na, nb = hab.sum(), hab.sum() + 1
        node[cores2 == 1] = na
        node[cores2 == 4] = nb
        n = nb + 1
        W = sp.lil_matrix((n, n))
        for r in range(rows):  # reference only: plain loops
            for c in range(cols):
                for dr, dc, d in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 2 ** 0.5), (-1, 1, 2 ** 0.5)):
                    r2, c2 = r + dr, c + dc
                    if 0 <= r2 < rows and 0 <= c2 < cols and g[r, c] > 0 and g[r2, c2] > 0:
                        u, v = node[r, c], node[r2, c2]
                        if u != v:
                            w = (g[r, c] + g[r2, c2]) / (2 * d)
                            W[u, v] += w
                            W[v, u] += w
        W = W.tocsr()
        L = sp.diags(np.asarray(W.sum(axis=1)).ravel()) - W
        from scipy.sparse.csgraph import connected_components

        _, lab = connected_components(W, directed=False)
        keep = np.flatnonzero((lab == lab[na]) & (np.arange(n) != na))
        e = (keep == nb).astype(float)
        x = spla.spsolve(L[keep][:, keep].tocsc(), e)
        return float(x[keep == nb][0])

    before = reff(grid.values)
    after = reff(apply_candidate(grid.values, cands[0]))
    assert t.loc[0, "delta_reff_sum"] == pytest.approx(before - after, rel=1e-8)


def test_pc_gain_and_portfolio():
    grid, cores, cands = _landscape(11)
    t = rank_candidates(grid, cores, cands, metric="pc", median_km=5.0)
    # PC can only grow when least-cost distances shrink
    assert (t["delta_pc"] >= -1e-15).all()
    assert (t["delta_lcd_sum"] >= -1e-9).all()
    assert t["delta_pc"].is_monotonic_decreasing
    costs = {c.id: c.cost for c in cands}
    budget = 4.0
    pf = greedy_portfolio(grid, cores, cands, budget, metric="lcd")
    assert pf["cumulative_cost"].max() <= budget + 1e-12
    assert list(pf["step"]) == list(range(1, len(pf) + 1))
    # first pick = best gain per cost among affordable ones, evaluated alone
    alone = rank_candidates(grid, cores, cands, metric="lcd", metrics=("lcd",))
    alone = alone[alone["cost"] <= budget]
    alone = alone[alone["delta_lcd_sum"] > 0]
    best = alone.sort_values(["gain_per_cost", "delta_lcd_sum"], ascending=False).iloc[0]
    assert pf.loc[0, "id"] == best["id"]
    assert pf.loc[0, "cost"] == costs[best["id"]]
    # second pick: recomputed from scratch on the landscape with the first site applied
    assert len(pf) >= 2
    first = next(c for c in cands if c.id == pf.loc[0, "id"])
    grid2 = grid.with_values(np.where(grid.valid, apply_candidate(grid.values, first), grid.nodata))
    rest = [c for c in cands if c.id != first.id and c.cost <= budget - first.cost]
    again = rank_candidates(grid2, cores, rest, metric="lcd", metrics=("lcd",)).set_index("id")
    assert pf.loc[1, "gain"] == pytest.approx(again.loc[pf.loc[1, "id"], "delta_lcd_sum"], rel=1e-9)
    assert pf.loc[1, "gain_per_cost"] == pytest.approx(again["gain_per_cost"].max(), rel=1e-9)
    pfr = greedy_portfolio(grid, cores, cands, budget, metric="reff")
    first = next(c for c in cands if c.id == pfr.loc[0, "id"])
    grid2 = grid.with_values(np.where(grid.valid, apply_candidate(grid.values, first), grid.nodata))
    rest = [c for c in cands if c.id != first.id and c.cost <= budget - first.cost]
    if len(pfr) >= 2:
        again = rank_candidates(grid2, cores, rest, metric="reff", metrics=("reff",)).set_index("id")
        assert pfr.loc[1, "gain"] == pytest.approx(again.loc[pfr.loc[1, "id"], "delta_reff_sum"], rel=1e-6)
    with pytest.raises(InputDataError):
        greedy_portfolio(grid, cores, cands, 0.0)


def test_read_candidates_geojson(tmp_path):
    grid, cores, _ = _landscape(3)
    x0, y0 = 400000.0, 5_000_000.0
    sq = [[x0 + 5000, y0 - 5000], [x0 + 8000, y0 - 5000], [x0 + 8000, y0 - 8000], [x0 + 5000, y0 - 8000],
          [x0 + 5000, y0 - 5000]]
    doc = {"type": "FeatureCollection", "metadata": {"crs": "EPSG:32652"}, "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [sq]},
         "properties": {"id": "A", "resistance": 0.5, "cost": 2}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x0 + 12500, y0 - 12500]},
         "properties": {"id": "B", "resistance": 1, "radius": 1200}},
    ]}
    grid = grid.with_values(np.where(grid.valid, grid.values, 1.0))
    from rasterio.crs import CRS

    from dataclasses import replace
    grid = replace(grid, crs=CRS.from_epsg(32652))
    p = tmp_path / "sites.geojson"
    p.write_text(json.dumps(doc))
    sites = read_candidates(p, grid)
    assert [s.id for s in sites] == ["A", "B"]
    # 3 km x 3 km square on 1 km cells: the 3 x 3 cells whose centres are inside
    assert sites[0].cells.size == 9 and sites[0].cost == 2.0
    # point at a cell centre with radius 1.2 cells: centre + 4 neighbours
    assert sites[1].cells.size == 5 and sites[1].cost == 1.0
    t = rank_candidates(grid, cores, sites, metrics=("lcd",), metric="lcd")
    fc = candidates_geojson(sites, t, grid.crs)
    assert len(fc["features"]) == 2 and fc["features"][0]["properties"]["rank"] == 1

    def bad(props, geom=None, msg=""):
        d = {"type": "FeatureCollection", "metadata": {"crs": "EPSG:32652"}, "features": [
            {"type": "Feature", "geometry": geom or {"type": "Polygon", "coordinates": [sq]}, "properties": props}]}
        p.write_text(json.dumps(d))
        with pytest.raises(InputDataError, match=msg):
            read_candidates(p, grid)

    bad({"resistance": 1}, msg="'id' is missing")
    bad({"id": "A"}, msg="'resistance' is missing")
    bad({"id": "A", "resistance": -1}, msg="must be > 0")
    bad({"id": "A", "resistance": "x"}, msg="not a number")
    bad({"id": "A", "resistance": 1, "cost": 0}, msg="must be > 0")
    bad({"id": "A", "resistance": 1}, {"type": "Point", "coordinates": [x0 + 5500, y0 - 5500]}, msg="radius")
    bad({"id": "A", "resistance": 1}, {"type": "Point", "coordinates": [0, 0]} , msg="radius")
    bad({"id": "A", "resistance": 1, "radius": 100},
        {"type": "Point", "coordinates": [x0 + 5000, y0 - 5000]}, msg="no valid cell centre")


def test_core_effective_resistances_match_circuitscape_model_and_components():
    from connectivity.candidates import core_effective_resistances

    grid, cores, cands = _landscape(21)
    vals = grid.values.copy()
    vals[:, 14] = -9999.0  # a nodata wall: cores 1, 3 (west) cut from 2, 4 (east)
    grid = grid.with_values(vals)
    R = core_effective_resistances(grid, cores)
    cond = conductance_from_values(grid.values, grid.valid, is_resistance=True)
    rg = raster_graph(cond, neighbors=8, avg="conductance")
    focal = [np.unique(rg.node_map[cores == i]) for i in (1, 2, 3, 4)]
    ref = pairwise_solve(rg.graph, focal, solver="direct").R
    ref = np.where(ref < 0, np.inf, ref)
    assert np.isinf(R[0, 1]) and np.isinf(R[2, 3]) and np.isfinite(R[0, 2])
    fin = np.isfinite(ref)
    assert np.array_equal(fin, np.isfinite(R))
    assert R[fin] == pytest.approx(ref[fin], rel=1e-8)
    t = rank_candidates(grid, cores, cands, metrics=("reff", "lcd"))
    assert np.isfinite(t["delta_reff_sum"]).all() and np.isfinite(t["delta_lcd_sum"]).all()
