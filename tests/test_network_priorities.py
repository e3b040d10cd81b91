"""Link prioritisation on a landscape where the answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from connectivity.leastcost import least_cost_analysis
from connectivity.priorities import prioritise_links
from connectivity.raster import Raster

CS = 1000.0


def _three_cores():
    """Cores 1 and 3 in good habitat joined through core 2 (a stepping stone); a wall with a
    single gap cuts the 2-3 link, so that link is both important and in poor condition."""
    rows, cols = 15, 31
    res = np.ones((rows, cols))
    res[:, 20] = 50.0          # barrier between core 2 and core 3
    cores = np.zeros((rows, cols), dtype=np.int64)
    cores[6:9, 1:4] = 1
    cores[6:9, 13:16] = 2
    cores[6:9, 27:30] = 3
    grid = Raster(res, Affine(CS, 0, 0.0, 0, -CS, 15 * CS), None)
    return grid, cores


def test_priorities_rank_the_cut_link_first():
    grid, cores = _three_cores()
    lc = least_cost_analysis(grid, cores, adjacency="cost")
    assert sorted(zip(lc.links["from"], lc.links["to"])) == [(1, 2), (2, 3)]
    pr = prioritise_links(lc, attribute=np.array([10.0, 10.0, 10.0]), names=["A", "B", "C"], median_km=20.0,
                          radii=[CS, 2 * CS])
    top = pr.links.iloc[0]
    assert (top["from"], top["to"]) == (2, 3)
    assert top["barrier_score"] > 0 and top["cwd_to_path_ratio"] > pr.links.iloc[1]["cwd_to_path_ratio"]
    assert pr.links.iloc[1]["barrier_score"] == pytest.approx(0.0)
    assert list(pr.links["priority_rank"]) == [1, 2]
    assert {"from_name", "to_name", "dPC_connector", "current_flow", "importance", "need", "priority"} <= set(pr.links)
    # core 2 is the stepping stone: the only core with a connector fraction and centrality
    nodes = pr.nodes.set_index("id")
    assert nodes.loc[2, "dPC_connector"] > 0 and nodes.loc[1, "dPC_connector"] == pytest.approx(0, abs=1e-9)
    assert nodes.loc[2, "current_flow"] == pytest.approx(1.0)
    assert pr.barriers is not None and np.nanmax(pr.barriers.score) == pytest.approx(top["barrier_score"])


def test_pinch_ratio_narrow_vs_wide():
    rows, cols = 21, 21
    narrow = np.full((rows, cols), -9999.0)
    narrow[10, :] = 1.0  # a one-cell-wide corridor
    wide = np.ones((rows, cols))
    cores = np.zeros((rows, cols), dtype=np.int64)
    cores[10, 0] = 1
    cores[10, cols - 1] = 2
    out = {}
    for name, res in (("narrow", narrow), ("wide", wide)):
        grid = Raster(res, Affine(CS, 0, 0.0, 0, -CS, rows * CS), None, -9999.0)
        lc = least_cost_analysis(grid, cores)
        # series of 20 unit conductances in a line: R = 20 (the reference, no solver needed)
        reff = np.array([[0, 20.0], [20.0, 0]]) if name == "narrow" else np.array([[0, 4.0], [4.0, 0]])
        out[name] = prioritise_links(lc, reff=reff).links.iloc[0]["pinch_ratio"]
    assert out["narrow"] == pytest.approx(1.0)
    assert out["wide"] < 0.5
