"""Least-cost analysis against an independent scipy.sparse.csgraph.dijkstra computation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from connectivity.leastcost import corridors, cost_distance, least_cost_analysis
from connectivity.raster import Raster
from genetics.errors import InputDataError

UTM = CRS.from_epsg(32652)


def grid_graph(res, valid, w, h, neighbors):
    """Sparse graph of the grid: edge weight = mean resistance × step length (independent code)."""
    rows, cols = res.shape
    idx = np.arange(rows * cols).reshape(rows, cols)
    offs = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if neighbors == 8 else [])
    src, dst, wt = [], [], []
    for dr, dc in offs:
        length = np.hypot(dr * h, dc * w)
        r0, r1 = max(0, -dr), rows - max(0, dr)
        c0, c1 = max(0, -dc), cols - max(0, dc)
        a = idx[r0:r1, c0:c1]
        b = idx[r0 + dr:r1 + dr, c0 + dc:c1 + dc]
        ok = valid.ravel()[a] & valid.ravel()[b]
        ra, rb = res.ravel()[a[ok]], res.ravel()[b[ok]]
        src += [a[ok], b[ok]]
        dst += [b[ok], a[ok]]
        wt += [(ra + rb) / 2 * length] * 2
    n = rows * cols
    return coo_matrix((np.concatenate(wt), (np.concatenate(src), np.concatenate(dst))), shape=(n, n)).tocsr()


def random_landscape(seed, rows=40, cols=50, n_cores=4):
    rng = np.random.default_rng(seed)
    res = rng.uniform(0.5, 100.0, size=(rows, cols))
    valid = rng.random((rows, cols)) > 0.25  # nodata barriers
    valid[rows // 2, : cols - 5] = False  # a wall with a gap
    cores = np.zeros((rows, cols), dtype=np.int64)
    for k in range(1, n_cores + 1):
        band = (cols - 4) // n_cores  # one column band per core: cores never collide
        r, c = rng.integers(2, rows - 4), 2 + (k - 1) * band + rng.integers(0, band - 3)
        block = np.zeros_like(valid)
        block[r:r + rng.integers(1, 4), c:c + rng.integers(1, 4)] = True
        valid[block] = True
        cores[block] = k
    values = np.where(valid, res, -9999.0)
    return Raster(values, Affine(300.0, 0, 500000.0, 0, -200.0, 5000000.0), UTM, -9999.0), cores


@pytest.mark.parametrize("neighbors", [4, 8])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lcd_matches_scipy_dijkstra(seed, neighbors):
    ras, cores = random_landscape(seed)
    res = ras.values
    valid = ras.valid
    ids = [k for k in np.unique(cores) if k > 0]
    G = grid_graph(res, valid, 300.0, 200.0, neighbors)
    result = least_cost_analysis(ras, cores, neighbors=neighbors)
    assert list(result.core_ids) == ids
    for i, a in enumerate(ids):
        d = dijkstra(G, indices=np.flatnonzero(cores.ravel() == a), min_only=True).reshape(res.shape)
        d[~valid] = np.inf
        np.testing.assert_allclose(result.cwd[i], d, rtol=1e-9)
        for j, b in enumerate(ids):
            expect = d[cores == b].min()
            if np.isinf(expect):
                assert np.isinf(result.lcd[i, j])
            else:
                assert result.lcd[i, j] == pytest.approx(expect, rel=1e-9, abs=0 if i != j else 1e-12)


@pytest.mark.parametrize("neighbors", [4, 8])
def test_paths_and_link_metrics(neighbors):
    ras, cores = random_landscape(7, n_cores=3)
    result = least_cost_analysis(ras, cores, neighbors=neighbors)
    G = grid_graph(ras.values, ras.valid, 300.0, 200.0, neighbors)
    for row in result.links.itertuples(index=False):
        a, b = int(row[0]), int(row[1])
        rr, cc = result.paths[(a, b)]
        assert cores[rr[0], cc[0]] == a and cores[rr[-1], cc[-1]] == b
        # path cost recomputed from its steps equals the LCD
        flat = rr * ras.shape[1] + cc
        cost = sum(G[flat[k], flat[k + 1]] for k in range(len(flat) - 1))
        assert cost == pytest.approx(row.cost_distance, rel=1e-9)
        steps = np.hypot(np.diff(rr) * 200.0, np.diff(cc) * 300.0)
        if neighbors == 4:
            assert np.all((np.abs(np.diff(rr)) + np.abs(np.diff(cc))) == 1)
        assert row.path_km == pytest.approx(steps.sum() / 1000)
        assert row.cwd_to_path_ratio == pytest.approx(row.cost_distance / steps.sum())
        assert row.euclidean_km <= row.path_km + 1e-9


def test_executor_gives_identical_results():
    ras, cores = random_landscape(3)
    r1 = least_cost_analysis(ras, cores)
    with ThreadPoolExecutor(2) as ex:
        r2 = least_cost_analysis(ras, cores, executor=ex)
    np.testing.assert_array_equal(r1.cwd, r2.cwd)
    np.testing.assert_array_equal(r1.lcd, r2.lcd)
    assert r1.links.equals(r2.links)


def test_process_pool_gives_identical_results():
    from concurrent.futures import ProcessPoolExecutor

    ras, cores = random_landscape(4, rows=20, cols=30, n_cores=3)
    r1 = least_cost_analysis(ras, cores, neighbors=4)
    with ProcessPoolExecutor(2) as ex:
        r2 = least_cost_analysis(ras, cores, neighbors=4, executor=ex)
    np.testing.assert_array_equal(r1.cwd, r2.cwd)
    assert r1.links.equals(r2.links)
    assert all(np.array_equal(r1.paths[k][0], r2.paths[k][0]) for k in r1.paths)


def test_normalized_corridors():
    ras, cores = random_landscape(6, n_cores=2)
    res = least_cost_analysis(ras, cores)
    raw = corridors(res)
    norm = corridors(res, normalize=True)
    fin = np.isfinite(raw)
    np.testing.assert_allclose(norm[fin], raw[fin] / res.lcd[0, 1])


def test_uniform_grid_analytic():
    # uniform resistance 2 on 100 m cells: 4-neighbour distance = 2 * 100 * manhattan steps
    values = np.full((20, 30), 2.0)
    ras = Raster(values, Affine(100.0, 0, 0, 0, -100.0, 0), UTM)
    cores = np.zeros((20, 30), dtype=int)
    cores[5, 3] = 1
    cores[15, 23] = 2
    r4 = least_cost_analysis(ras, cores, neighbors=4)
    assert r4.lcd[0, 1] == pytest.approx(2 * 100 * (10 + 20))
    r8 = least_cost_analysis(ras, cores, neighbors=8)
    assert r8.lcd[0, 1] == pytest.approx(2 * 100 * (10 * np.sqrt(2) + 10))
    assert r8.links.loc[0, "euclidean_km"] == pytest.approx(np.hypot(1000, 2000) / 1000)
    assert r8.links.loc[0, "cwd_to_path_ratio"] == pytest.approx(2.0)


def test_corridor_zero_on_path_and_truncated():
    ras, cores = random_landscape(2, n_cores=2)
    result = least_cost_analysis(ras, cores)
    cor = corridors(result)
    (a, b), (rr, cc) = next(iter(result.paths.items()))
    np.testing.assert_allclose(cor[rr, cc], 0.0, atol=1e-6 * result.lcd[0, 1])
    assert np.all(np.isinf(cor[~ras.valid]))
    width = np.nanpercentile(cor[np.isfinite(cor)], 20)
    cut = corridors(result, width=width)
    assert np.all(np.isinf(cut[cor > width]))
    assert np.array_equal(cut[cor <= width], cor[cor <= width])


def test_drop_intermediate_and_adjacency():
    values = np.ones((5, 31))
    ras = Raster(values, Affine(1000.0, 0, 0, 0, -1000.0, 0), UTM)
    cores = np.zeros((5, 31), dtype=int)
    cores[:, 0] = 1
    cores[:, 15] = 2  # a full-height core between 1 and 3: every 1-3 path crosses it
    cores[:, 30] = 3
    res = least_cost_analysis(ras, cores)
    assert len(res.links) == 3
    assert res.links.set_index(["from", "to"]).loc[(1, 3), "intermediate_core"] == 2
    dropped = least_cost_analysis(ras, cores, drop_intermediate=True)
    assert set(zip(dropped.links["from"], dropped.links["to"])) == {(1, 2), (2, 3)}
    for mode in ("cost", "euclidean", "delaunay"):
        m = least_cost_analysis(ras, cores, adjacency=mode)
        assert set(zip(m.links["from"], m.links["to"])) == {(1, 2), (2, 3)}, mode


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_resistance_rejected(bad):
    values = np.ones((5, 5))
    values[2, 2] = bad
    valid = np.ones((5, 5), bool)
    src = np.zeros((5, 5), bool)
    src[0, 0] = True
    with pytest.raises(InputDataError):
        cost_distance(values, valid, src, 100.0)


def test_cores_on_nodata_and_geographic_rejected():
    values = np.ones((5, 5))
    values[0, 0] = -9999
    cores = np.zeros((5, 5), int)
    cores[0, 0] = 1
    cores[4, 4] = 2
    ras = Raster(values, Affine(100.0, 0, 0, 0, -100.0, 0), UTM)
    with pytest.raises(InputDataError, match="nodata"):
        least_cost_analysis(ras, cores)
    geo = Raster(np.ones((5, 5)), Affine(0.1, 0, 120, 0, -0.1, 50), CRS.from_epsg(4326))
    cores[0, 0] = 3
    with pytest.raises(InputDataError, match="geographic"):
        least_cost_analysis(geo, cores)
