"""A real local Dask cluster runs the fan-out (solves, pairs, Omniscape windows): same numbers."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # starts a real scheduler and two worker processes


@pytest.fixture(scope="module")
def dask_executor():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


def test_pairwise_and_regions_identical_on_dask(dask_executor):
    from connectivity.circuit import cumulative_current, effective_resistance_matrix

    rng = np.random.default_rng(11)
    g = rng.lognormal(0, 1, (30, 40))
    focal = np.zeros(g.shape, int)
    focal.flat[rng.choice(g.size, 7, replace=False)] = np.arange(1, 8)
    for solver in ("cg+amg", "direct"):
        ids0, R0 = effective_resistance_matrix(g, focal, solver=solver)
        ids1, R1 = effective_resistance_matrix(g, focal, solver=solver, executor=dask_executor)
        assert np.array_equal(ids0, ids1)
        np.testing.assert_array_equal(R0, R1)
    regions = focal.copy()
    regions[0:3, 0:3] = 1
    regions[-3:, -3:] = 2
    a = cumulative_current(g, regions, solver="direct")
    b = cumulative_current(g, regions, solver="direct", executor=dask_executor)
    np.testing.assert_array_equal(a["R"], b["R"])
    np.testing.assert_array_equal(a["cum_curmap"], b["cum_curmap"])


def test_one_to_all_and_omniscape_identical_on_dask(dask_executor):
    from connectivity.circuit.graph import raster_graph
    from connectivity.circuit.modes import one_to_all_solve
    from connectivity.omniscape import OmniscapeOptions, omniscape
    from connectivity.raster import Raster

    rng = np.random.default_rng(2)
    g = rng.lognormal(0, 1, (20, 25))
    rg = raster_graph(g)
    nodes = rng.choice(rg.graph.n_nodes, 5, replace=False)
    v0, _ = one_to_all_solve(rg.graph, nodes, np.ones(5), solver="direct")
    v1, _ = one_to_all_solve(rg.graph, nodes, np.ones(5), solver="direct", executor=dask_executor)
    np.testing.assert_array_equal(v0, v1)
    res = Raster(1 / g, Affine(1, 0, 0, 0, -1, 20), None, -9999.0)
    opts = OmniscapeOptions(radius=4, block_size=3, buffer=1, calc_flow_potential=True, calc_normalized_current=True)
    src = rng.random(g.shape)
    a = omniscape(res, opts, sources=src)
    b = omniscape(res, opts, sources=src, executor=dask_executor, chunk=5)
    for k in ("cum_currmap", "flow_potential", "normalized_cum_currmap"):
        np.testing.assert_array_equal(a[k], b[k])
