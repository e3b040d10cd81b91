"""Branch and node currents from node voltages (Circuitscape's current maps).

Branch current on edge (u, v) = g_uv * |V_u - V_v|; branch currents below 1e-8 of the largest
are set to 0. Node current = max(total current flowing in, total current flowing out),
current to finite grounds included — the throughput of a pass-through node, 1 A at a 1 A
source or sink (McRae et al. 2008, Ecology 89:2712; Circuitscape.jl ``src/out.jl``).
"""

from __future__ import annotations

import numpy as np

from .graph import Graph

__all__ = ["branch_currents", "node_currents"]

#: Branch currents smaller than this fraction of the largest one are zeroed (Circuitscape).
BRANCH_ZERO = 1e-8


def branch_currents(graph: Graph, volts: np.ndarray) -> np.ndarray:
    """Signed current u → v on every edge, shape (n_edges,), float64."""
    f = graph.w * (volts[graph.u] - volts[graph.v])
    if f.size:
        big = np.abs(f).max()
        f[np.abs(f) < BRANCH_ZERO * big] = 0.0
    return f


def node_currents(graph: Graph, volts: np.ndarray, ground: np.ndarray | None = None) -> np.ndarray:
    """Node currents, shape (n_nodes,), float64.

    Parameters
    ----------
    graph : Graph
    volts : numpy.ndarray, shape (n_nodes,)
    ground : numpy.ndarray, shape (n_nodes,), optional
        Finite conductance to ground per node (infinite / direct grounds excluded).
    """
    n = graph.n_nodes
    f = branch_currents(graph, volts)
    pos = np.where(f > 0, f, 0.0)
    neg = np.where(f < 0, -f, 0.0)
    out = np.bincount(graph.u, pos, n) + np.bincount(graph.v, neg, n)
    inn = np.bincount(graph.u, neg, n) + np.bincount(graph.v, pos, n)
    if ground is not None:
        gfin = np.where(np.isfinite(ground), ground, 0.0)
        gc = gfin * volts
        out += np.where(gc > 0, gc, 0.0)
        inn += np.where(gc < 0, -gc, 0.0)
    return np.maximum(out, inn)


class GridCurrents:
    """Node currents of a plain raster graph (one node per habitat cell) by array slicing.

    The same numbers as :func:`node_currents` (max(in, out) = (Σ|I| + |Σ I|)/2 per node, by
    Kirchhoff's current law) without gathers or scatters over an edge list: a few whole-array
    operations per neighbour direction, which makes per-pair and cumulative maps cheap compared
    with a solve.

    Parameters
    ----------
    conductance : numpy.ndarray, shape (rows, cols)
        Cell conductances, 0 = no node.
    neighbors : {4, 8}
    avg : {'conductance', 'resistance'}
    """

    def __init__(self, conductance: np.ndarray, neighbors: int = 8, avg: str = "conductance") -> None:
        g = np.asarray(conductance, dtype=np.float64)
        self.shape = g.shape
        rows, cols = g.shape
        offs = [(0, 1, 1.0), (1, 0, 1.0)]
        if neighbors == 8:
            offs += [(1, 1, np.sqrt(2.0)), (-1, 1, np.sqrt(2.0))]
        self.dirs = []
        for dr, dc, d in offs:
            a = (slice(max(0, -dr), rows - max(0, dr)), slice(0, cols - dc))
            b = (slice(max(0, dr), rows - max(0, -dr)), slice(dc, cols))
            x, y = g[a], g[b]
            both = (x > 0) & (y > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                if avg == "conductance":
                    w = (x + y) / (2.0 * d)
                else:
                    w = 1.0 / (d * (1.0 / x + 1.0 / y) / 2.0)
            self.dirs.append((a, b, np.where(both, w, 0.0)))

    def __call__(self, volts_grid: np.ndarray) -> np.ndarray:
        """Node currents painted on the grid, shape (rows, cols); 0 where there is no node."""
        flows = [w * (volts_grid[a] - volts_grid[b]) for a, b, w in self.dirs]
        big = max((np.abs(f).max() if f.size else 0.0) for f in flows)
        tot = np.zeros(self.shape)
        net = np.zeros(self.shape)
        for (a, b, _), f in zip(self.dirs, flows):
            if big > 0:
                f[np.abs(f) < BRANCH_ZERO * big] = 0.0
            af = np.abs(f)
            tot[a] += af
            tot[b] += af
            net[a] += f
            net[b] -= f
        return 0.5 * (tot + np.abs(net))
