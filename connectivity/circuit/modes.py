"""Circuit solves on a graph: pairwise, advanced, one-to-all, all-to-one.

Everything here works on :class:`~connectivity.circuit.graph.Graph` objects and node-indexed
arrays; rasters and files are handled by :mod:`connectivity.circuit.run`.

Pairwise speed-up (resistance distance algebra; Klein & Randić 1993, J. Math. Chem. 12:81):
in each connected component one focal node g is grounded and the grounded Laplacian L_g is
set up once (AMG hierarchy or factorisation); for every other focal node k we solve
L_g x_k = e_k (n−1 solves). With X[a, k] = x_k[a] (and x_g = 0),

    R_ab = X[a, a] + X[b, b] − 2 X[a, b],

and the voltages of the pair solve "1 A in at b, out at a" are x_b − x_a (superposition), so the
per-pair current maps and the cumulative map need no further solves. Circuitscape 4 solves every
pair again; Circuitscape.jl uses the n−1 shortcut only when no map is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from genetics.errors import InputDataError
from genetics.parallel import map_ordered

from .graph import Graph
from .solvers import Factor, solve_columns

__all__ = [
    "PairwiseSolution",
    "pairwise_solve",
    "advanced_solve",
    "one_to_all_solve",
    "all_to_one_solve",
    "POLICIES",
]

POLICIES = ("keepall", "rmvsrc", "rmvgnd", "rmvall")


@dataclass
class PairVoltages:
    """Voltages of one pair solve (1 A in at focal b, out at focal a; V = 0 at a).

    ``graph`` is the graph that was solved (the input graph, or a contracted copy when focal
    regions were merged); ``remap`` maps input nodes to its nodes (None = identity).
    """

    a: int
    b: int
    graph: Graph
    volts: np.ndarray
    remap: np.ndarray | None = None
    merged: tuple[int, ...] = ()


@dataclass
class PairwiseSolution:
    """Effective resistances of all focal pairs and a way to get each pair's voltages.

    Attributes
    ----------
    R : numpy.ndarray, shape (n_focal, n_focal)
        Effective resistances; -1 for pairs not solved (different components, invalid focal
        node, excluded pair); 0 on the diagonal and between IDs sharing a node.
    pairs : list of (int, int)
        Index pairs a < b in one component (R >= 0; R = 0 when they share a node).
    """

    R: np.ndarray
    pairs: list[tuple[int, int]]
    graph: Graph
    _comp: dict = field(default_factory=dict, repr=False)  # focal index -> (idx, X, col)
    _region_volts: dict = field(default_factory=dict, repr=False)
    _region_args: tuple | None = field(default=None, repr=False)

    def voltages(self, a: int, b: int) -> PairVoltages:
        """Node voltages of pair (a, b): V = 0 at a, V = R_ab at b."""
        if (a, b) in self._region_volts:
            return self._region_volts[(a, b)]
        if self._region_args is not None:
            res = _region_pair_task((self._region_args, a, b, True))
            return res[1]
        idx, X, col = self._comp[a]
        _, _, _ = self._comp[b]
        v = X[:, col[b]] - X[:, col[a]]
        full = np.zeros(self.graph.n_nodes)
        full[idx] = v
        full[idx] -= v[self._ground_local[a]]
        return PairVoltages(a, b, self.graph, full)

    def cumulative_node_current(self, chunk: int = 262_144) -> np.ndarray | None:
        """Cumulative node current over all solved pairs, shape (n_nodes,), or None (focal regions).

        Node current = max(in, out) = (Σ|I_e| + |injection|)/2 by Kirchhoff's current law, so the
        cumulative map needs only Σ_pairs |I_e| per edge. Each pair's branch currents are
        differences of the branch currents of the n−1 basis solves (superposition), formed in
        edge chunks. Circuitscape's zeroing of branch currents below 1e-8 of the largest is
        skipped here (a difference of at most 1e-8 of the largest branch current per pair).
        """
        if self._region_args is not None or self._region_volts:
            return None
        g = self.graph
        n = g.n_nodes
        acc = np.zeros(len(g.u))
        inj = np.zeros(n)
        groups: dict[int, list] = {}
        for a, b in self.pairs:
            idx, X, col = self._comp[a]
            groups.setdefault(id(X), [idx, X, col, []])[3].append((a, b))
        for idx, X, col, prs in groups.values():
            m = X.shape[1]
            P = np.zeros((m, m))
            for a, b in prs:
                ca, cb = col[a], col[b]
                if ca != cb:
                    P[min(ca, cb), max(ca, cb)] += 1.0
                    inj[idx[self._ground_local[a]]] += 1.0
                    inj[idx[self._ground_local[b]]] += 1.0
            if not P.any():
                continue
            local = np.full(n, -1, dtype=np.int64)
            local[idx] = np.arange(len(idx))
            e = np.flatnonzero(local[g.u] >= 0)
            for s0 in range(0, len(e), chunk):
                ee = e[s0:s0 + chunk]
                G = g.w[ee, None] * (X[local[g.u[ee]]] - X[local[g.v[ee]]])  # (chunk, m) basis branch currents
                part = np.zeros(len(ee))
                for ci in range(m - 1):
                    w = P[ci, ci + 1:]
                    nzc = np.flatnonzero(w)
                    if nzc.size:
                        cols = ci + 1 + nzc
                        part += np.abs(G[:, cols] - G[:, [ci]]) @ w[nzc]
                acc[ee] += part
        tot = np.bincount(g.u, acc, n) + np.bincount(g.v, acc, n)
        return 0.5 * (tot + inj)

    def iter_voltages(self) -> Iterator[PairVoltages]:
        for a, b in self.pairs:
            yield self.voltages(a, b)


def _include_ok(include: np.ndarray | None, n: int) -> np.ndarray:
    ok = np.ones((n, n), dtype=bool) if include is None else np.asarray(include, dtype=bool).copy()
    ok = ok | ok.T
    np.fill_diagonal(ok, False)
    return ok


def pairwise_solve(
    graph: Graph,
    focal_nodes: Sequence[np.ndarray],
    *,
    include: np.ndarray | None = None,
    solver: str = "cg+amg",
    rtol: float = 1e-6,
    executor: Executor | None = None,
    keep_region_voltages: bool = False,
) -> PairwiseSolution:
    """Effective resistances between focal nodes (or focal regions) of *graph*.

    Parameters
    ----------
    graph : Graph
    focal_nodes : sequence of int arrays
        For each focal ID, the nodes it covers (empty = not on the graph → -1). An ID covering
        several nodes is a focal region; as in Circuitscape, each pair (p, q) of a run with
        regions is solved on its own graph in which only p's nodes and q's nodes are merged.
    include : numpy.ndarray of bool, shape (n, n), optional
        Pairs to solve; others are -1. Focal IDs in no included pair are ignored.
    solver, rtol, executor
        See :func:`connectivity.circuit.solvers.solve_columns`.
    keep_region_voltages : bool
        With focal regions, keep each pair's voltages (for maps) instead of re-solving.

    Returns
    -------
    PairwiseSolution
    """
    n = len(focal_nodes)
    ok = _include_ok(include, n)
    R = np.full((n, n), -1.0)
    np.fill_diagonal(R, 0.0)
    nodes = [np.unique(np.asarray(x, dtype=np.int64)) for x in focal_nodes]
    active = np.array([len(x) > 0 for x in nodes]) & ok.any(axis=1)
    regions = any(len(x) > 1 for x in nodes)
    if regions:
        return _pairwise_regions(graph, nodes, ok, active, R, solver, rtol, executor, keep_region_voltages)
    node_of = np.array([x[0] if len(x) else -1 for x in nodes], dtype=np.int64)
    comps = graph.components()
    L = graph.laplacian()
    graph.__dict__.pop("_adj", None)  # the cached adjacency is not needed during the solves
    sol = PairwiseSolution(R, [], graph)
    sol._ground_local = {}
    act = np.flatnonzero(active)
    comp_of = np.where(node_of >= 0, comps[np.maximum(node_of, 0)], -1)
    for c in np.unique(comp_of[act]):
        members = act[comp_of[act] == c]
        fnodes = np.unique(node_of[members])
        idx = np.flatnonzero(comps == c)
        pos = np.searchsorted(idx, fnodes)
        if len(fnodes) >= 2:
            g = pos[0]
            keep = np.ones(len(idx), dtype=bool)
            keep[g] = False
            Lc = L if len(idx) == L.shape[0] else L[idx][:, idx]
            Lg = Lc[keep][:, keep]
            gi = np.cumsum(keep) - 1  # local index in grounded system
            rhs = [int(gi[p]) for p in pos[1:]]  # unit injections
            X = np.zeros((len(idx), len(fnodes)), order="F")
            solve_columns(Lg, rhs, method=solver, rtol=rtol, executor=executor, desc="pairwise solves",
                          out=X, out_rows=keep, out_cols=range(1, len(fnodes)))
        else:
            X = np.zeros((len(idx), 1))
        col = {}
        for a in members:
            col[a] = int(np.searchsorted(fnodes, node_of[a]))
        local = {a: int(pos[col[a]]) for a in members}
        Y = X[pos, :]  # Y[i, k]: voltage at focal node i for source k
        for a in members:
            sol._comp[a] = (idx, X, col)
            sol._ground_local[a] = local[a]
        m = np.array(members)
        ca = np.array([col[a] for a in members])
        d = np.diag(Y)
        Rm = d[ca][:, None] + d[ca][None, :] - 2 * Y[ca][:, ca]
        Rm = 0.5 * (Rm + Rm.T)
        np.fill_diagonal(Rm, 0.0)
        sub = ok[np.ix_(m, m)]
        R[np.ix_(m, m)] = np.where(sub, np.maximum(Rm, 0.0), R[np.ix_(m, m)])
        for i, a in enumerate(members):
            for j in range(i + 1, len(members)):
                b = members[j]
                if sub[i, j]:
                    sol.pairs.append((min(a, b), max(a, b)))
    sol.pairs.sort()
    np.fill_diagonal(R, 0.0)
    return sol


def _region_pair_task(task):
    (graph, nodes), a, b, want_volts = task
    groups = np.full(graph.n_nodes, -1, dtype=np.int64)
    groups[nodes[a]] = 0
    groups[nodes[b]] = 1
    overlap = np.intersect1d(nodes[a], nodes[b]).size > 0
    if overlap:
        if not want_volts:
            return 0.0, None
        return 0.0, PairVoltages(a, b, graph, np.zeros(graph.n_nodes))
    cg, remap = graph.contract(groups)
    na, nb = remap[nodes[a][0]], remap[nodes[b][0]]
    comps = cg.components()
    if comps[na] != comps[nb]:
        return -1.0, None
    idx = np.flatnonzero(comps == comps[na])
    L = cg.laplacian()[idx][:, idx]
    la, lb = np.searchsorted(idx, na), np.searchsorted(idx, nb)
    keep = np.ones(len(idx), dtype=bool)
    keep[la] = False
    f = Factor(L[keep][:, keep], "direct" if len(idx) < 200_000 else "cg+amg", 1e-10)
    e = np.zeros(len(idx) - 1)
    gi = np.cumsum(keep) - 1
    e[gi[lb]] = 1.0
    x = np.zeros(len(idx))
    x[keep] = f.solve(e)
    r = float(x[lb])
    if not want_volts:
        return r, None
    full = np.zeros(cg.n_nodes)
    full[idx] = x
    return r, PairVoltages(a, b, cg, full, remap)


def _pairwise_regions(graph, nodes, ok, active, R, solver, rtol, executor, keep):
    sol = PairwiseSolution(R, [], graph)
    act = np.flatnonzero(active)
    pairs = [(int(a), int(b)) for i, a in enumerate(act) for b in act[i + 1:] if ok[a, b]]
    res = map_ordered(_region_pair_task, [((graph, nodes), a, b, keep) for a, b in pairs],
                      executor=executor, desc="pair solves")
    for (a, b), (r, pv) in zip(pairs, res):
        R[a, b] = R[b, a] = r
        if r >= 0:
            sol.pairs.append((a, b))
            if keep:
                sol._region_volts[(a, b)] = pv
    if not keep:
        sol._region_args = (graph, nodes)
    return sol


def _apply_policy(src: np.ndarray, gnd: np.ndarray, policy: str) -> tuple[np.ndarray, np.ndarray]:
    if policy not in POLICIES:
        raise InputDataError(f"remove_src_or_gnd must be one of {', '.join(POLICIES)}, not {policy!r}")
    src = src.copy()
    gnd = gnd.copy()
    both = (src != 0) & (gnd > 0)
    if policy in ("rmvsrc", "rmvall"):
        src[both] = 0.0
    if policy in ("rmvgnd", "rmvall"):
        gnd[both] = 0.0
    return src, gnd


def advanced_solve(
    graph: Graph,
    sources: np.ndarray,
    grounds: np.ndarray,
    *,
    policy: str = "keepall",
    solver: str = "cg+amg",
    rtol: float = 1e-6,
    laplacian: sp.csr_matrix | None = None,
    components: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Circuitscape's advanced mode on a graph.

    Parameters
    ----------
    graph : Graph
    sources : numpy.ndarray, shape (n_nodes,)
        Current injected per node (A).
    grounds : numpy.ndarray, shape (n_nodes,)
        Conductance to ground per node; ``inf`` = direct ground (held at 0 V); 0 = none.
    policy : {'keepall', 'rmvsrc', 'rmvgnd', 'rmvall'}
        What to do with a node that is both source and ground.

    Returns
    -------
    volts : numpy.ndarray, shape (n_nodes,)
        Node voltages; 0 in components lacking a source or a ground (not solved).
    sources, grounds : numpy.ndarray
        After applying the conflict policy (for current maps).
    """
    src, gnd = _apply_policy(np.asarray(sources, float), np.asarray(grounds, float), policy)
    L = graph.laplacian() if laplacian is None else laplacian
    comps = graph.components() if components is None else components
    volts = np.zeros(graph.n_nodes)
    has_src = np.zeros(comps.max() + 1 if comps.size else 0, dtype=bool)
    has_gnd = has_src.copy()
    has_src[np.unique(comps[src != 0])] = True
    has_gnd[np.unique(comps[gnd > 0])] = True
    for c in np.flatnonzero(has_src & has_gnd):
        idx = np.flatnonzero(comps == c)
        g = gnd[idx]
        direct = np.isinf(g)
        Lc = L[idx][:, idx] + sp.diags(np.where(direct, 0.0, g))
        free = ~direct
        if not free.any():
            continue
        f = Factor(Lc.tocsr()[free][:, free], solver, rtol)
        x = np.zeros(len(idx))
        x[free] = f.solve(src[idx][free])
        volts[idx] = x
    return volts, src, gnd


def one_to_all_solve(
    graph: Graph,
    focal_node: np.ndarray,
    strengths: np.ndarray,
    *,
    include: np.ndarray | None = None,
    solver: str = "cg+amg",
    rtol: float = 1e-6,
    executor: Executor | None = None,
) -> tuple[np.ndarray, list]:
    """One-to-all: each focal node in turn injects its strength, all others are direct grounds.

    Solved by superposition from the n−1 grounded solves of :func:`pairwise_solve`: with
    X[:, k] the voltages for 1 A into focal node k (out at the reference ground g), any state
    with injections i_k at the focal nodes is v = X i + c. For source a, the m + 1 unknowns
    (i, c) follow from a small dense system: v = 0 at the grounded focal nodes, injection =
    strength at a, injection 0 at focal nodes that are neither (excluded by *include*).

    Parameters
    ----------
    focal_node : numpy.ndarray of int64, shape (n_focal,)
        Node of each focal ID (-1 = not on the graph).
    strengths : numpy.ndarray, shape (n_focal,)
    include : bool array (n_focal, n_focal), optional
        When given, the solve for focal a only grounds the focal nodes b with include[a, b].

    Returns
    -------
    values : numpy.ndarray, shape (n_focal,)
        V at the source / strength (the effective resistance to all others grounded together);
        -1 when no other focal node shares the component.
    solves : list of (index, volts, grounds) for the focal nodes that were solved.
    """
    n = len(focal_node)
    inc = None if include is None else _include_ok(include, n)
    nodes = [np.array([x]) if x >= 0 else np.array([], dtype=np.int64) for x in focal_node]
    sol = pairwise_solve(graph, nodes, solver=solver, rtol=rtol, executor=executor)
    values = np.full(n, -1.0)
    solves = []
    for a in range(n):
        na = focal_node[a]
        if na < 0 or a not in sol._comp:
            continue
        if inc is not None and not inc[a].any():
            continue
        idx, X, col = sol._comp[a]
        m1 = X.shape[1]  # focal columns in the component; column 0 is the reference ground g
        ca = col[a]
        grounded = set()
        for b in range(n):
            if b == a or b not in sol._comp or sol._comp[b][0] is not idx:
                continue
            if inc is not None and not inc[a, b]:
                continue
            if col[b] != ca:  # rmvgnd: a ground on the source node is removed
                grounded.add(col[b])
        if not grounded:
            continue
        pos = np.array([sol._ground_local[next(b for b in col if col[b] == r)] for r in range(m1)])
        Y = X[pos, 1:]  # (m1, m1-1): voltage at focal column r for 1 A into column k
        A = np.zeros((m1, m1))  # unknowns: i_1..i_{m1-1}, c
        rhs = np.zeros(m1)
        s = float(strengths[a])
        for r in range(m1):
            if r in grounded:
                A[r, :-1] = Y[r]
                A[r, -1] = 1.0
            else:
                if r == 0:
                    A[r, :-1] = -1.0  # injection at g = -sum(i)
                else:
                    A[r, r - 1] = 1.0
                rhs[r] = 1.0 if r == ca else 0.0  # unit source; scaled by the strength below
        x = np.linalg.solve(A, rhs)
        v = X[:, 1:] @ x[:-1] + x[-1]
        full = np.zeros(graph.n_nodes)
        full[idx] = s * v
        gnd = np.zeros(graph.n_nodes)
        gnd[idx[pos[sorted(grounded)]]] = np.inf
        values[a] = v[pos[ca]]  # V / strength = the resistance (linear in the strength)
        solves.append((a, full, gnd))
    return values, solves


def all_to_one_solve(
    graph: Graph,
    focal_node: np.ndarray,
    strengths: np.ndarray,
    *,
    include: np.ndarray | None = None,
    solver: str = "cg+amg",
    rtol: float = 1e-6,
    executor: Executor | None = None,
) -> tuple[np.ndarray, list]:
    """All-to-one: each focal node in turn is a direct ground, all others inject their strength.

    With *include*, a focal node whose pair with the ground is not included injects 1 A instead
    of its variable strength (Circuitscape's behaviour, pinned by its allToOneVerify12 case).

    Solved by superposition from the n−1 grounded solves of :func:`pairwise_solve`.

    Returns
    -------
    values : numpy.ndarray, shape (n_focal,)
        0 for a focal node that was solved, -1 when it is alone in its component.
    solves : list of (index, volts, grounds)
    """
    n = len(focal_node)
    inc = None if include is None else _include_ok(include, n)
    nodes = [np.array([x]) if x >= 0 else np.array([], dtype=np.int64) for x in focal_node]
    sol = pairwise_solve(graph, nodes, solver=solver, rtol=rtol, executor=executor)
    values = np.full(n, -1.0)
    solves = []
    for a in range(n):
        na = focal_node[a]
        if na < 0 or a not in sol._comp:
            continue
        idx, X, col = sol._comp[a]
        v = np.zeros(len(idx))
        any_src = False
        for b in range(n):
            if b == a or b not in sol._comp or sol._comp[b][0] is not idx:
                continue
            if focal_node[b] == na:
                continue  # rmvsrc: a source on the ground node is removed
            # Circuitscape's rule with an include list: every other focal node still injects,
            # with its variable strength when the pair is included and 1 A when it is not
            # (reproduces allToOneVerify12).
            sb = strengths[b] if inc is None or inc[a, b] else 1.0
            v += sb * (X[:, col[b]] - X[:, col[a]])
            any_src = True
        if not any_src:
            continue
        v -= v[sol._ground_local[a]]
        full = np.zeros(graph.n_nodes)
        full[idx] = v
        gnd = np.zeros(graph.n_nodes)
        gnd[na] = np.inf
        # an ID in no included pair is reported -1 (its map is still written), as Circuitscape
        values[a] = -1.0 if (inc is not None and not inc[a].any()) else 0.0
        solves.append((a, full, gnd))
    return values, solves
