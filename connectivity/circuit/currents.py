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
