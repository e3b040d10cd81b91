"""Circuit engine: analytic cases, an independent dense solve, superposition, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from connectivity.circuit import cumulative_current, effective_resistance_matrix, pinchpoints
from connectivity.circuit.currents import node_currents
from connectivity.circuit.graph import conductance_from_values, raster_graph
from genetics.errors import InputDataError


def _dense_R(g, focal, neighbors, avg):
    """Independent reference: dense Laplacian pseudo-inverse of the raster graph."""
    rows, cols = g.shape
    idx = -np.ones(g.shape, int)
    hab = g > 0
    idx[hab] = np.arange(hab.sum())
    n = hab.sum()
    L = np.zeros((n, n))
    offs = [(0, 1, 1.0), (1, 0, 1.0)] + ([(1, 1, np.sqrt(2)), (1, -1, np.sqrt(2))] if neighbors == 8 else [])
    for r in range(rows):
        for c in range(cols):
            if not hab[r, c]:
                continue
            for dr, dc, d in offs:
                rr, cc = r + dr, c + dc
                if 0 <= rr < rows and 0 <= cc < cols and hab[rr, cc]:
                    x, y = g[r, c], g[rr, cc]
                    w = (x + y) / (2 * d) if avg == "conductance" else 1 / (d * (1 / x + 1 / y) / 2)
                    i, j = idx[r, c], idx[rr, cc]
                    L[i, j] -= w; L[j, i] -= w; L[i, i] += w; L[j, j] += w
    P = np.linalg.pinv(L)
    ids = np.unique(focal[focal > 0])
    nodes = [idx[focal == i][0] for i in ids]
    R = np.array([[P[a, a] + P[b, b] - 2 * P[a, b] for b in nodes] for a in nodes])
    return ids, R


@pytest.mark.parametrize("neighbors,avg", [(4, "resistance"), (8, "conductance"), (8, "resistance")])
@pytest.mark.parametrize("solver", ["direct", "cg+amg"])
def test_random_grid_matches_dense_pseudoinverse(neighbors, avg, solver):
    rng = np.random.default_rng(7)
    g = rng.lognormal(0, 1, (14, 17))
    focal = np.zeros(g.shape, int)
    cells = rng.choice(g.size, 6, replace=False)
    focal.flat[cells] = np.arange(1, 7)
    ids, R = effective_resistance_matrix(g, focal, neighbors=neighbors, avg=avg, solver=solver, rtol=1e-12)
    ids2, R2 = _dense_R(g, focal, neighbors, avg)
    assert np.array_equal(ids, ids2)
    np.testing.assert_allclose(R, R2, rtol=1e-6)


def test_uniform_strip_is_n_minus_1_ohms():
    for n in (2, 5, 40):
        g = np.ones((1, n))
        focal = np.zeros((1, n), int)
        focal[0, 0], focal[0, -1] = 1, 2
        _, R = effective_resistance_matrix(g, focal, neighbors=4, avg="resistance", solver="direct")
        assert R[0, 1] == pytest.approx(n - 1, rel=1e-9)
    # conductance 2 per cell halves it
    _, R = effective_resistance_matrix(2 * np.ones((1, 10)), np.array([[1] + [0] * 8 + [2]]), solver="direct")
    assert R[0, 1] == pytest.approx(4.5, rel=1e-9)


def test_disconnected_and_nodata_focal_points_are_minus_one():
    g = np.ones((3, 7))
    g[:, 3] = 0  # a barrier column
    focal = np.zeros(g.shape, int)
    focal[1, 0], focal[1, 2], focal[1, 6] = 1, 2, 3
    focal[0, 3] = 4  # on nodata
    ids, R = effective_resistance_matrix(g, focal, neighbors=4, solver="direct")
    assert list(ids) == [1, 2, 3, 4]
    assert R[0, 1] > 0 and R[0, 2] == -1 and R[1, 2] == -1 and (R[3, :3] == -1).all()
    assert np.all(np.diag(R) == 0)


def test_cumulative_current_superposition_equals_per_pair_solves():
    rng = np.random.default_rng(3)
    g = rng.lognormal(0, 0.8, (12, 13))
    focal = np.zeros(g.shape, int)
    focal.flat[rng.choice(g.size, 5, replace=False)] = [3, 1, 4, 2, 9]
    out = cumulative_current(g, focal, neighbors=8, avg="conductance", solver="direct")
    # brute force: one dense solve per pair, 1 A between the pair
    rg = raster_graph(g, neighbors=8, avg="conductance")
    L = rg.graph.laplacian().toarray()
    ids = np.unique(focal[focal > 0])
    node = [rg.node_map[focal == i][0] for i in ids]
    cum = np.zeros(rg.graph.n_nodes)
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            b = np.zeros(len(L)); b[node[i]] = 1; b[node[j]] = -1
            keep = np.arange(len(L)) != node[j]
            v = np.zeros(len(L)); v[keep] = np.linalg.solve(L[np.ix_(keep, keep)], b[keep])
            cum += node_currents(rg.graph, v)
    np.testing.assert_allclose(out["cum_curmap"], rg.paint(cum), rtol=1e-8, atol=1e-10)
    # every focal node carries 1 A in each of its n-1 pairs at least
    assert np.all(out["cum_curmap"][focal > 0] >= len(ids) - 1 - 1e-9)


def test_focal_regions_short_circuit_vs_circuitscape_rule():
    g = np.ones((6, 10))
    focal = np.zeros(g.shape, int)
    focal[0:2, 0:2] = 1
    focal[4:6, 8:10] = 2
    focal[2, 5] = 3
    ids, R_cs = effective_resistance_matrix(g, focal, solver="direct")
    ids, R_sc = effective_resistance_matrix(g, focal, solver="direct", regions="short_circuit")
    # region 3 is a single cell, so it cannot short-circuit the 1-2 path: both rules agree there
    # (pairs with 3 differ: under 'short_circuit' the region not in the pair is merged too)
    assert R_cs[0, 1] == pytest.approx(R_sc[0, 1], rel=1e-9)
    assert R_sc[0, 2] < R_cs[0, 2]
    assert R_cs[0, 1] > 0
    # a third *region* across the path short-circuits it only under 'short_circuit'
    focal[1:5, 4:6] = 3
    _, R_cs = effective_resistance_matrix(g, focal, solver="direct")
    _, R_sc = effective_resistance_matrix(g, focal, solver="direct", regions="short_circuit")
    assert R_sc[0, 1] < R_cs[0, 1]
    a = cumulative_current(g, focal, solver="direct", regions="short_circuit")
    b = cumulative_current(g, focal, solver="direct", regions="short_circuit", with_max=True)
    np.testing.assert_allclose(a["cum_curmap"], b["cum_curmap"], rtol=1e-9, atol=1e-12)


def test_pinchpoints_current_stays_in_corridor():
    r = np.ones((9, 12))
    cores = np.zeros(r.shape, int)
    cores[3:6, 0:2] = 1
    cores[3:6, 10:12] = 2
    corridor = np.zeros(r.shape, bool)
    corridor[4, :] = True  # a one-cell-wide corridor: every cell carries the full 1 A
    out = pinchpoints(r, cores, corridor, solver="direct", neighbors=4)
    assert np.all(np.isnan(out["current"][0]))
    np.testing.assert_allclose(out["current"][4, 2:10], 1.0, rtol=1e-9)
    # 8 corridor cells in series between the two short-circuited cores: 9 one-ohm links
    assert out["R"][0, 1] == pytest.approx(9.0, rel=1e-9)


def test_bad_habitat_values():
    with pytest.raises(InputDataError, match="zero resistance"):
        conductance_from_values(np.array([[1.0, 0.0]]), np.ones((1, 2), bool), is_resistance=True)
    with pytest.raises(InputDataError, match="negative"):
        conductance_from_values(np.array([[1.0, -2.0]]), np.ones((1, 2), bool), is_resistance=True)
    with pytest.raises(InputDataError, match="no usable cell"):
        conductance_from_values(np.array([[1.0, 2.0]]), np.zeros((1, 2), bool), is_resistance=True)
    with pytest.raises(InputDataError):
        effective_resistance_matrix(np.ones((3, 3)), np.zeros((3, 3), int))
    with pytest.raises(InputDataError):
        effective_resistance_matrix(np.ones((3, 3)), np.zeros((3, 4), int))


def test_one_to_all_superposition_matches_direct_advanced_solves():
    from connectivity.circuit.graph import raster_graph
    from connectivity.circuit.modes import advanced_solve, one_to_all_solve

    rng = np.random.default_rng(4)
    g = rng.lognormal(0, 1, (15, 18))
    g[5, :10] = 0  # a partial barrier
    rg = raster_graph(g, neighbors=8, avg="conductance")
    nodes = rng.choice(rg.graph.n_nodes, 6, replace=False)
    strengths = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 0.0])
    include = np.ones((6, 6), bool)
    include[0, 2] = include[2, 0] = False
    values, solves = one_to_all_solve(rg.graph, nodes, strengths, include=include, solver="direct")
    for a, volts, _ in solves:
        others = [nodes[b] for b in range(6) if b != a and include[a, b]]
        src = np.zeros(rg.graph.n_nodes)
        src[nodes[a]] = strengths[a]
        gnd = np.zeros(rg.graph.n_nodes)
        gnd[others] = np.inf
        v, _, _ = advanced_solve(rg.graph, src, gnd, policy="rmvgnd", solver="direct")
        np.testing.assert_allclose(volts, v, rtol=1e-8, atol=1e-10)
        if strengths[a] > 0:
            assert values[a] == pytest.approx(v[nodes[a]] / strengths[a], rel=1e-8)
