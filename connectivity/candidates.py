"""Candidate crossings and restoration sites: the connectivity gain of each, ranked, and a budget portfolio.

A candidate site is a polygon (or a point with a ``radius`` in map units) with a new
``resistance`` for its cells and an optional ``cost``. A cell belongs to a site when its
centre lies inside the geometry (``rasterio.features.rasterize`` default rule,
``all_touched=False``). Only cells inside the landscape change (nodata stays nodata: a site
cannot create habitat where the resistance grid has none).

Gains of a site applied alone (positive = better connected)
------------------------------------------------------------
* ``delta_reff_sum`` — sum over core pairs of the drop in effective resistance, computed as
  Circuitscape does in pairwise mode with the cores as focal regions (each pair solved on a
  graph where only its two regions are merged; defaults 8 neighbours, average conductance;
  McRae et al. 2008, Ecology 89: 2712). Pairs in different components contribute 0.
* ``delta_lcd_sum`` — sum over core pairs of the drop in least-cost distance
  (:func:`connectivity.leastcost.cost_distance`, the same 8-neighbour cost rule).
* ``delta_pc`` — the change of the Probability of Connectivity of the core network
  (:mod:`connectivity.network`) with the new least-cost distances, and ``dpc_percent`` =
  100 ΔPC / PC.

Reusing one factorisation for every pair and every candidate (Kron reduction)
-----------------------------------------------------------------------------
Circuitscape solves each pair of focal regions on its own graph (only that pair's regions
merged), i.e. one factorisation per pair. Here the base graph is instead reduced exactly onto
F, the core cells that have a neighbour outside their core (interior core cells float to their
region's voltage and carry no current, so they can stay ordinary nodes). With U the other
nodes, ``L_UU`` (grounded at F) is factorised ONCE and ``Y = L_UU^{-1} L_UF`` costs |F| solves;
``S_F = L_FF - L_FU Y`` is the Kron-reduced Laplacian (Dörfler & Bullo 2013, IEEE Trans.
Circuits Syst. I 60: 150-163) and every pair's effective resistance follows from a small
dense solve on S_F with that pair's regions held at 1 V and 0 V and the other boundary cells
floating — exactly Circuitscape's per-pair model.

A candidate changes the conductance of its cells, hence the Laplacian entries of the edges
touching them. With T the touched nodes in U and ``M = L_UU^{-1}``, the reduction onto F ∪ T
of the *modified* graph follows from block inversion (the Schur complement of ``L_UU`` onto T
is ``M_TT^{-1}``; Hager 1989, SIAM Review 31: 221-239) and needs only |T| solves with the
shared factor, plus rows T of Y; the change itself lives on F ∪ T. So each candidate costs
|T| triangular solves and small dense algebra — no new factorisation, for every pair at once.
Candidates are split into chunks fanned out with :func:`genetics.parallel.map_ordered`; each
chunk factorises ``L_UU`` once.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genetics.errors import InputDataError
from genetics.parallel import map_ordered, progress

from .circuit.graph import Graph, conductance_from_values, raster_graph
from .circuit.solvers import Factor
from .leastcost import check_resistance, cost_distance
from .network import network_from_matrices, pc_index
from .raster import Raster

__all__ = [
    "Candidate",
    "read_candidates",
    "candidate_cells",
    "rank_candidates",
    "CandidateEvaluator",
    "core_effective_resistances",
    "greedy_portfolio",
    "apply_candidate",
    "candidates_geojson",
    "METRICS",
]

METRICS = ("reff", "lcd", "pc")
_METRIC_COLUMN = {"reff": "delta_reff_sum", "lcd": "delta_lcd_sum", "pc": "delta_pc"}


@dataclass
class Candidate:
    """One candidate site.

    Attributes
    ----------
    id : str
    resistance : float
        New resistance of the site's cells (> 0).
    cost : float
        Cost (> 0; 1 when not given).
    cells : ndarray of int64, shape (k,)
        Flat (row-major) indices of the valid cells whose centres lie inside the site.
    geometry : shapely geometry or None
        The site in the grid's CRS (for maps and GeoJSON output).
    """

    id: str
    resistance: float
    cost: float
    cells: np.ndarray
    geometry: Any = field(default=None, repr=False)


# --------------------------------------------------------------------------------------
# reading


def _number(props: dict, key: str, where: str, path: Path, *, required: bool, default: float | None = None) -> float:
    v = props.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise InputDataError(f"{where}: property {key!r} is missing", path=path)
        return default  # type: ignore[return-value]
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputDataError(f"{where}: {key} {v!r} is not a number", path=path) from None
    if not (math.isfinite(x) and x > 0):
        raise InputDataError(f"{where}: {key} must be > 0, got {v!r}", path=path)
    return x


def candidate_cells(geometry: Any, grid: Raster) -> np.ndarray:
    """Flat indices of the valid cells of *grid* whose centres lie inside *geometry* (grid CRS)."""
    from rasterio import features

    if geometry.is_empty:
        return np.zeros(0, dtype=np.int64)
    m = features.rasterize([(geometry, 1)], out_shape=grid.shape, transform=grid.transform,
                           fill=0, all_touched=False, dtype="uint8").astype(bool)
    return np.flatnonzero((m & grid.valid).ravel()).astype(np.int64)


def read_candidates(path: str | Path, grid: Raster) -> list[Candidate]:
    """Read candidate sites from GeoJSON (or a point CSV) onto *grid*.

    Geometries are in EPSG:4326 unless the file names another CRS (GeoJSON ``crs`` member or
    ``metadata.crs``), and are projected to the grid's CRS. Points need a ``radius``
    property in the grid's map units (metres); polygons are used as they are.

    Raises
    ------
    InputDataError
        Missing/duplicate ``id``, missing or non-positive ``resistance``, non-positive
        ``cost``, point without radius, a site that covers no valid cell centre.
    """
    from shapely.geometry import MultiPoint, Point

    from .resistance import _project_geoms, read_features

    p = Path(path)
    geoms, props, crs = read_features(p)
    if not geoms:
        raise InputDataError("no candidate sites in the file", path=p)
    geoms = _project_geoms(geoms, crs, grid.crs)
    seen: set[str] = set()
    out = []
    for k, (g, pr) in enumerate(zip(geoms, props)):
        raw_id = pr.get("id")
        where = f"feature {k + 1}" + (f" (id {raw_id})" if raw_id is not None else "")
        if raw_id is None or str(raw_id).strip() == "":
            raise InputDataError(f"{where}: property 'id' is missing", path=p)
        sid = str(raw_id)
        if sid in seen:
            raise InputDataError(f"{where}: duplicate id {sid!r}", path=p)
        seen.add(sid)
        res = _number(pr, "resistance", where, p, required=True)
        cost = _number(pr, "cost", where, p, required=False, default=1.0)
        if isinstance(g, (Point, MultiPoint)):
            radius = _number(pr, "radius", where, p, required=True)
            g = g.buffer(radius, 64)
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputDataError(f"{where}: geometry must be a polygon or a point with a radius, got {g.geom_type}",
                                 path=p)
        cells = candidate_cells(g, grid)
        if cells.size == 0:
            raise InputDataError(f"{where}: the site covers no valid cell centre of the resistance grid "
                                 "(outside the grid, on nodata, or smaller than a cell)", path=p)
        out.append(Candidate(sid, res, cost, cells, g))
    return out


def apply_candidate(values: np.ndarray, cand: Candidate) -> np.ndarray:
    """A copy of the resistance *values* with the site's cells set to its resistance."""
    v = np.array(values, dtype=np.float64, copy=True)
    v.ravel()[cand.cells] = cand.resistance
    return v


# --------------------------------------------------------------------------------------
# the base analysis shared by every candidate


@dataclass
class _Base:
    values: np.ndarray            # resistance, (rows, cols)
    valid: np.ndarray             # bool, (rows, cols)
    cores: np.ndarray             # int ids, (rows, cols), 0 = none
    ids: np.ndarray               # (n,)
    cellsize: tuple[float, float]
    neighbors: int
    avg: str
    pairs: list[tuple[int, int]]  # index pairs i < j
    want_reff: bool
    want_lcd: bool


def _lcd_matrix(b: _Base, values: np.ndarray) -> np.ndarray:
    """Pairwise LCD between the cores on *values* (n−1 cost-distance runs)."""
    from scipy import ndimage

    n = b.ids.size
    L = np.full((n, n), np.inf)
    np.fill_diagonal(L, 0.0)
    need = sorted({i for i, _ in b.pairs})
    for i in need:  # loop over cores (few); each run is a compiled Dijkstra over the grid
        cwd = cost_distance(values, b.valid, b.cores == b.ids[i], b.cellsize, b.neighbors)
        row = np.asarray(ndimage.minimum(cwd, labels=b.cores, index=b.ids), dtype=np.float64)
        L[i, :] = np.minimum(L[i, :], row)
        L[:, i] = np.minimum(L[:, i], row)
    np.fill_diagonal(L, 0.0)
    return L


def _graph(b: _Base, values: np.ndarray) -> tuple[Graph, np.ndarray]:
    g = conductance_from_values(values, b.valid, is_resistance=True)
    rg = raster_graph(g, neighbors=b.neighbors, avg=b.avg)
    return rg.graph, rg.node_map


@dataclass
class _Reduction:
    """The base circuit reduced onto the cores' boundary cells (shared by all pairs and candidates).

    Nodes of the base graph split into F (core cells with a neighbour outside their core) and
    U (every other node of a component that holds a core). ``Y = L_UU^{-1} L_UF`` and
    ``Q = L_FU Y`` make the Kron reduction ``S_F = L_FF - Q``.
    """

    graph: Graph
    F: np.ndarray          # node ids, (f,)
    F_core: np.ndarray     # core index of each F node, (f,)
    F_comp: np.ndarray     # component of each F node, (f,)
    U: np.ndarray          # node ids, (u,)
    upos: np.ndarray       # node -> index in U (-1)
    fpos: np.ndarray       # node -> index in F (-1)
    L: Any                 # base Laplacian, csr
    Y: np.ndarray          # (u, f)
    Q: np.ndarray          # (f, f)


def _reduce(b: _Base, executor: Executor | None) -> _Reduction:
    from .circuit.solvers import solve_columns

    graph, node_map = _graph(b, b.values)
    n = graph.n_nodes
    core_of = np.full(n, -1, dtype=np.int64)
    m = (node_map >= 0) & (b.cores > 0)
    core_of[node_map[m]] = np.searchsorted(b.ids, b.cores[m])
    cu, cv = core_of[graph.u], core_of[graph.v]
    diff = cu != cv
    boundary = np.zeros(n, dtype=bool)
    boundary[graph.u[diff & (cu >= 0)]] = True
    boundary[graph.v[diff & (cv >= 0)]] = True
    # a core with no outside neighbour at all (isolated) still needs one node to exist
    for k in range(b.ids.size):
        nodes = np.flatnonzero(core_of == k)
        if nodes.size and not boundary[nodes].any():
            boundary[nodes[0]] = True
    comps = graph.components()
    live = np.isin(comps, np.unique(comps[boundary]))
    F = np.flatnonzero(boundary)
    U = np.flatnonzero(live & ~boundary)
    upos = np.full(n, -1, dtype=np.int64)
    upos[U] = np.arange(U.size)
    fpos = np.full(n, -1, dtype=np.int64)
    fpos[F] = np.arange(F.size)
    L = graph.laplacian()
    LUF = L[U][:, F].tocsc()
    LUU = L[U][:, U].tocsc()
    rhs = [LUF[:, k].toarray().ravel() for k in range(F.size)]
    Y = solve_columns(LUU, rhs, method="direct", executor=executor, desc="core boundary solves") if U.size \
        else np.zeros((0, F.size))
    Q = (L[F][:, U] @ Y) if U.size else np.zeros((F.size, F.size))
    return _Reduction(graph, F, core_of[F], comps[F], U, upos, fpos, L, np.asarray(Y), np.asarray(Q))


def _pair_resistances(S: np.ndarray, labels: np.ndarray, comp: np.ndarray, pairs: list[tuple[int, int]],
                      n: int) -> np.ndarray:
    """Effective resistance between core regions from a reduced Laplacian S (dense).

    *labels* gives each node's core index (-1 = ordinary node); for a pair (i, j) the nodes of
    i are held at 1 V, those of j at 0 V, the rest float (Circuitscape: only the pair's two
    regions are merged); R = 1 / current. Pairs in different components: inf.
    """
    R = np.zeros((n, n))
    for i, j in pairs:  # loop over core pairs (few); each is a small dense solve
        a, c = labels == i, labels == j
        ca, cc = np.unique(comp[a]), np.unique(comp[c])
        if ca.size == 0 or cc.size == 0 or ca[0] != cc[0]:
            R[i, j] = R[j, i] = math.inf
            continue
        o = (comp == ca[0]) & ~a & ~c
        rhs = -S[np.ix_(o, a)].sum(axis=1)
        Vo = np.linalg.solve(S[np.ix_(o, o)], rhs) if o.any() else np.zeros(0)
        current = float(S[np.ix_(a, a)].sum() + (S[np.ix_(a, o)] @ Vo).sum())
        R[i, j] = R[j, i] = 1.0 / current if current > 0 else math.inf
    return R


class _Solver:
    """The shared factor of ``L_UU`` with a cache of solved unit columns (``M[:, t]``)."""

    def __init__(self, red: _Reduction) -> None:
        self.factor = Factor(red.L[red.U][:, red.U], "direct") if red.U.size else None
        self.n = red.U.size
        self.cols: dict[int, np.ndarray] = {}

    def columns(self, tu: np.ndarray) -> np.ndarray:
        out = np.empty((self.n, tu.size))
        for c, t in enumerate(tu):  # one solve per touched node not seen before
            col = self.cols.get(int(t))
            if col is None:
                e = np.zeros(self.n)
                e[t] = 1.0
                col = self.cols[int(t)] = self.factor.solve(e)  # type: ignore[union-attr]
            out[:, c] = col
        return out


def _candidate_reduced(red: _Reduction, solver: _Solver, dw: np.ndarray, changed: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduced Laplacian on F ∪ T after the edge-conductance change *dw* (exact Kron reduction).

    With M = L_UU^{-1} and T the non-boundary nodes touched by the change, W = U \\ T:
    S_TT = M_TT^{-1}, S_TF = L_TF + M_TT^{-1} A, S_FF = L_FF - Q + L_FT M_TT L_TF + L_FT A + A^T L_TF
    + A^T M_TT^{-1} A with A = Y_T - M_TT L_TF; then the change (supported on F ∪ T) is added.
    Returns (S, labels, comp) over the nodes F followed by T.
    """
    g = red.graph
    ends = np.unique(np.concatenate([g.u[changed], g.v[changed]]))
    T = ends[red.upos[ends] >= 0]
    f, k = red.F.size, T.size
    LFF = red.L[red.F][:, red.F].toarray()
    S = np.zeros((f + k, f + k))
    if k:
        tu = red.upos[T]
        X = solver.columns(tu)  # k solves with the shared factor (cached across scenarios)
        Mtt = X[tu, :]
        Mtt = 0.5 * (Mtt + Mtt.T)
        LTF = red.L[T][:, red.F].toarray()
        A = red.Y[tu, :] - Mtt @ LTF
        Minv = np.linalg.inv(Mtt)
        S[:f, :f] = LFF - red.Q + LTF.T @ Mtt @ LTF + LTF.T @ A + A.T @ LTF + A.T @ Minv @ A
        S[f:, :f] = LTF + Minv @ A
        S[:f, f:] = S[f:, :f].T
        S[f:, f:] = Minv
    else:
        S[:, :] = LFF - red.Q
    # the change itself: every changed edge has both ends in F ∪ T
    idx = np.full(g.n_nodes, -1, dtype=np.int64)
    idx[red.F] = np.arange(f)
    idx[T] = f + np.arange(k)
    u, v, d = idx[g.u[changed]], idx[g.v[changed]], dw[changed]
    ok = (u >= 0) & (v >= 0)
    u, v, d = u[ok], v[ok], d[ok]
    np.add.at(S, (u, u), d)
    np.add.at(S, (v, v), d)
    np.add.at(S, (u, v), -d)
    np.add.at(S, (v, u), -d)
    labels = np.concatenate([red.F_core, np.full(k, -1)])
    comp = np.concatenate([red.F_comp, g.components()[T] if k else np.zeros(0, dtype=np.int64)])
    return S, labels, comp


def _evaluate_chunk(task: tuple) -> list[tuple[np.ndarray | None, np.ndarray | None]]:
    """Evaluate a chunk of scenarios (lists of sites applied together): (reff after, lcd after).

    On a worker the factor of ``L_UU`` is built once per chunk; in-process the evaluator passes
    its own (built once, with its cache of solved columns).
    """
    b, red, cands = task[:3]
    solver = task[3] if len(task) > 3 else (_Solver(red) if b.want_reff else None)
    return _evaluate_scenarios(b, red, cands, solver)


def _evaluate_scenarios(b: _Base, red: _Reduction | None, cands: list, solver: "_Solver | None"
                        ) -> list[tuple[np.ndarray | None, np.ndarray | None]]:
    n = b.ids.size
    results: list[tuple[np.ndarray | None, np.ndarray | None]] = []
    for scenario in progress(cands, total=len(cands), desc="candidates"):
        vals = b.values
        for cand in scenario:  # sites applied in order (later ones win where they overlap)
            vals = apply_candidate(vals, cand)
        R_after = L_after = None
        if b.want_reff:
            new_graph, _ = _graph(b, vals)
            if not (np.array_equal(new_graph.u, red.graph.u) and np.array_equal(new_graph.v, red.graph.v)):
                raise AssertionError("candidate changed the graph's edges")  # valid cells stay valid
            dw = new_graph.w - red.graph.w
            changed = np.flatnonzero(dw != 0)
            S, labels, comp = _candidate_reduced(red, solver, dw, changed)
            R_after = _pair_resistances(S, labels, comp, b.pairs, n)
        if b.want_lcd:
            L_after = _lcd_matrix(b, vals)
        results.append((R_after, L_after))
    return results


def _chunks(items: list, executor: Executor | None) -> list[list]:
    if executor is None or len(items) <= 1:
        return [items]
    workers = int(getattr(executor, "_max_workers", None) or 4)
    k = max(1, min(len(items), workers))
    bounds = np.linspace(0, len(items), k + 1).astype(int)
    return [items[bounds[t]:bounds[t + 1]] for t in range(k) if bounds[t + 1] > bounds[t]]


def _prepare(resistance: Raster, cores: np.ndarray, neighbors: int, avg: str, metrics: tuple[str, ...]) -> _Base:
    if resistance.is_geographic:
        raise InputDataError("resistance grid is in a geographic (lon/lat) CRS; reproject it to a metric CRS first")
    valid = resistance.valid
    check_resistance(resistance.values, valid)
    cores = np.asarray(cores)
    if cores.shape != resistance.shape:
        raise InputDataError(f"core grid shape {cores.shape} differs from the resistance grid {resistance.shape}")
    cores = np.where(cores > 0, cores, 0).astype(np.int64)
    if ((cores > 0) & ~valid).any():
        raise InputDataError("core cells lie on nodata")
    ids = np.unique(cores[cores > 0])
    if ids.size < 2:
        raise InputDataError(f"need at least two core areas, found {ids.size}")
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise InputDataError(f"unknown metric {bad[0]!r}; use {', '.join(METRICS)}")
    pairs = list(combinations(range(ids.size), 2))
    return _Base(values=np.where(valid, resistance.values, np.nan), valid=valid, cores=cores, ids=ids,
                 cellsize=resistance.cellsize, neighbors=neighbors, avg=avg, pairs=pairs,
                 want_reff="reff" in metrics, want_lcd=("lcd" in metrics or "pc" in metrics))


def _pair_sum(before: np.ndarray, after: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    i, j = np.array(pairs).T
    a, c = before[i, j], after[i, j]
    ok = np.isfinite(a) & np.isfinite(c)
    return float(np.sum(a[ok] - c[ok]))


def _core_attribute(b: _Base) -> np.ndarray:
    """Core area in km² (cells × cell area, map units assumed metres)."""
    counts = np.bincount(np.searchsorted(b.ids, b.cores[b.cores > 0]), minlength=b.ids.size)
    return counts * b.cellsize[0] * b.cellsize[1] / 1e6


def rank_candidates(
    resistance: Raster,
    cores: np.ndarray,
    candidates: list[Candidate],
    *,
    metric: str = "reff",
    metrics: tuple[str, ...] = METRICS,
    neighbors: int = 8,
    avg: str = "conductance",
    median_km: float = 100.0,
    attribute: np.ndarray | None = None,
    landscape_area: float | None = None,
    executor: Executor | None = None,
    evaluator: "CandidateEvaluator | None" = None,
) -> pd.DataFrame:
    """Gain of every candidate applied alone, ranked.

    Parameters
    ----------
    resistance : Raster
        Resistance on a metric grid (nodata = outside the landscape).
    cores : ndarray of int, shape (rows, cols)
        Core id per cell (0 = none).
    candidates : list of Candidate
    metric : {"reff", "lcd", "pc"}
        Ranking metric (``delta_reff_sum``, ``delta_lcd_sum`` or ``delta_pc``), larger first;
        ties by id.
    metrics : tuple of str
        Which gains to compute (the ranking metric is always added).
    neighbors, avg : Circuitscape graph options (defaults: 8, average conductance).
    median_km : float
        Median dispersal distance for PC (see :data:`connectivity.network.DISPERSAL_KERNELS`).
    attribute : ndarray, shape (n_cores,), optional
        Core attributes for PC (default: core area in km²).
    landscape_area : float, optional
        A_L for PC (default: total valid area in km²).
    executor : Executor, optional
        Fans candidate chunks out (:func:`genetics.parallel.map_ordered`); same numbers.
    evaluator : CandidateEvaluator, optional
        A prebuilt base analysis to reuse (its settings win over the arguments above).

    Returns
    -------
    DataFrame ``id, rank, delta_reff_sum, delta_lcd_sum, delta_pc, dpc_percent, cost,
    gain_per_cost, n_cells, resistance`` sorted by rank (missing metrics are NaN).
    """
    if metric not in METRICS:
        raise InputDataError(f"unknown metric {metric!r}; use {', '.join(METRICS)}")
    if not candidates:
        raise InputDataError("no candidate sites given")
    metrics = tuple(dict.fromkeys(tuple(metrics) + (metric,)))
    ev = evaluator if evaluator is not None else CandidateEvaluator(
        resistance, cores, metrics, neighbors=neighbors, avg=avg, median_km=median_km, attribute=attribute,
        landscape_area=landscape_area, executor=executor)
    ev.require(metric)
    rows = []
    for cand, g in zip(candidates, ev.gains([[c] for c in candidates])):
        g = {k: v for k, v in g.items() if k != "_state"}
        rows.append({"id": cand.id, **g, "cost": cand.cost, "n_cells": int(cand.cells.size),
                     "resistance": cand.resistance})
    df = pd.DataFrame(rows)
    df["gain_per_cost"] = df[_METRIC_COLUMN[metric]] / df["cost"]
    df = df.sort_values([_METRIC_COLUMN[metric], "id"], ascending=[False, True], kind="mergesort")
    df.insert(1, "rank", np.arange(1, len(df) + 1))
    cols = ["id", "rank", "delta_reff_sum", "delta_lcd_sum", "delta_pc", "dpc_percent", "cost",
            "gain_per_cost", "n_cells", "resistance"]
    return df[cols].reset_index(drop=True)


class CandidateEvaluator:
    """The base analysis (one reduction / factorisation) and gains of scenarios against it.

    Build it once and pass it to :func:`rank_candidates` and :func:`greedy_portfolio` (and read
    :attr:`R0`, the core-pair effective resistances, and :attr:`L0`, the least-cost distances)
    to share the factorisation.

    Parameters
    ----------
    resistance, cores : see :func:`rank_candidates`
    metrics : tuple of {"reff", "lcd", "pc"}
    neighbors, avg, median_km, attribute, landscape_area, executor : see :func:`rank_candidates`
    """

    def __init__(self, resistance: Raster, cores: np.ndarray, metrics: tuple[str, ...], *, neighbors: int = 8,
                 avg: str = "conductance", median_km: float = 100.0, attribute: np.ndarray | None = None,
                 landscape_area: float | None = None, executor: Executor | None = None) -> None:
        b = _prepare(resistance, cores, neighbors, avg, metrics)
        self.b, self.executor, self.median_km = b, executor, median_km
        self._solver: _Solver | None = None
        self.red = _reduce(b, executor) if b.want_reff else None
        self.R0 = None
        if self.red is not None:
            red = self.red
            self.R0 = _pair_resistances(red.L[red.F][:, red.F].toarray() - red.Q, red.F_core, red.F_comp,
                                        b.pairs, b.ids.size)
        self.L0 = _lcd_matrix(b, b.values) if b.want_lcd else None
        self.want_pc = "pc" in metrics
        if self.want_pc:
            self.attr = _core_attribute(b) if attribute is None else np.asarray(attribute, dtype=np.float64)
            self.A = landscape_area if landscape_area is not None else \
                float(b.valid.sum() * b.cellsize[0] * b.cellsize[1] / 1e6)
            self.pc0 = self._pc(self.L0)

    def require(self, metric: str) -> None:
        """Raise unless this evaluator computes *metric*."""
        ok = {"reff": self.b.want_reff, "lcd": self.b.want_lcd, "pc": self.want_pc}.get(metric)
        if ok is None:
            raise InputDataError(f"unknown metric {metric!r}; use {', '.join(METRICS)}")
        if not ok:
            raise ValueError(f"this evaluator was built without the {metric!r} metric")

    def _pc(self, L: np.ndarray) -> float:
        return pc_index(network_from_matrices(self.b.ids, self.attr, L), self.median_km, self.A)

    def evaluate(self, scenarios: list[list[Candidate]]) -> list[tuple[np.ndarray | None, np.ndarray | None]]:
        if self.executor is None:  # in-process: one factor and one column cache for every call
            if self._solver is None and self.b.want_reff:
                self._solver = _Solver(self.red)  # type: ignore[arg-type]
            return _evaluate_scenarios(self.b, self.red, list(scenarios), self._solver)
        chunks = _chunks(list(scenarios), self.executor)
        parts = map_ordered(_evaluate_chunk, [(self.b, self.red, c) for c in chunks], executor=self.executor,
                            desc="candidates")
        return [r for part in parts for r in part]

    def gains(self, scenarios: list[list[Candidate]], reference: tuple | None = None) -> list[dict[str, float]]:
        """Gains of each scenario over the base (or over *reference* = (R, L) of another scenario)."""
        b = self.b
        R0, L0 = (self.R0, self.L0) if reference is None else reference
        pc0 = (self._pc(L0) if reference is not None else self.pc0) if self.want_pc else np.nan
        out = []
        for R1, L1 in self.evaluate(scenarios):
            g = {"delta_reff_sum": _pair_sum(R0, R1, b.pairs) if R1 is not None else np.nan,
                 "delta_lcd_sum": _pair_sum(L0, L1, b.pairs) if L1 is not None else np.nan,
                 "delta_pc": np.nan, "dpc_percent": np.nan, "_R": R1, "_L": L1}
            if self.want_pc:
                g["delta_pc"] = self._pc(L1) - pc0
                g["dpc_percent"] = 100.0 * g["delta_pc"] / pc0 if pc0 > 0 else np.nan
            out.append(g)
        return [{k: v for k, v in g.items() if not k.startswith("_")} | {"_state": (g["_R"], g["_L"])}
                for g in out]


def greedy_portfolio(
    resistance: Raster,
    cores: np.ndarray,
    candidates: list[Candidate],
    budget: float,
    *,
    metric: str = "reff",
    executor: Executor | None = None,
    evaluator: "CandidateEvaluator | None" = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Budget-constrained greedy portfolio: best gain per cost, apply, recompute, repeat.

    At each step every remaining candidate that fits in the remaining budget is evaluated on
    the landscape with the sites chosen so far applied; the one with the largest positive
    gain per unit cost (ties: larger gain, then id) is added. Stops when nothing fits or
    nothing improves. (Greedy selection is the standard heuristic for this knapsack-like
    problem; it is not guaranteed optimal.)

    Returns
    -------
    DataFrame ``step, id, cost, cumulative_cost, gain, gain_per_cost`` (gain = marginal gain
    in the chosen metric at that step).
    """
    if not budget > 0:
        raise InputDataError(f"budget must be > 0, got {budget}")
    col = _METRIC_COLUMN.get(metric)
    if col is None:
        raise InputDataError(f"unknown metric {metric!r}; use {', '.join(METRICS)}")
    ev = evaluator if evaluator is not None else CandidateEvaluator(resistance, cores, (metric,), executor=executor,
                                                                    **kwargs)
    ev.require(metric)
    applied: list[Candidate] = []
    state: tuple | None = None  # (R, L) of the landscape with the applied sites
    remaining = list(candidates)
    spent = 0.0
    steps = []
    while remaining:  # loop over portfolio steps (few)
        fits = [c for c in remaining if c.cost <= budget - spent + 1e-12]
        if not fits:
            break
        # every scenario is evaluated against the ONE base reduction: applied sites + this one
        gains = ev.gains([applied + [c] for c in fits], reference=state)
        vals = np.array([g[col] for g in gains], dtype=np.float64)
        scale = max(1.0, float(np.nanmax(np.abs(vals)))) if vals.size else 1.0
        best_k, best_key = -1, None
        for k, (c, v) in enumerate(zip(fits, vals)):  # loop over candidates (few)
            if not (np.isfinite(v) and v > 1e-12 * scale):
                continue
            key = (-v / c.cost, -v, c.id)  # best gain per cost, then larger gain, then id
            if best_key is None or key < best_key:
                best_k, best_key = k, key
        if best_k < 0:
            break
        cand = fits[best_k]
        spent += cand.cost
        steps.append({"step": len(steps) + 1, "id": cand.id, "cost": cand.cost, "cumulative_cost": spent,
                      "gain": float(vals[best_k]), "gain_per_cost": float(vals[best_k] / cand.cost)})
        applied.append(cand)
        state = gains[best_k]["_state"]
        remaining = [c for c in remaining if c.id != cand.id]
    return pd.DataFrame(steps, columns=["step", "id", "cost", "cumulative_cost", "gain", "gain_per_cost"])


def core_effective_resistances(resistance: Raster, cores: np.ndarray, *, neighbors: int = 8,
                               avg: str = "conductance", executor: Executor | None = None) -> np.ndarray:
    """Effective resistance between every pair of core regions (Circuitscape pairwise model),
    from one shared factorisation; shape (n_cores, n_cores), inf = not connected."""
    return CandidateEvaluator(resistance, cores, ("reff",), neighbors=neighbors, avg=avg, executor=executor).R0


def candidates_geojson(candidates: list[Candidate], table: pd.DataFrame, crs) -> dict:
    """FeatureCollection of the sites (lon/lat when the grid CRS is known) with the table's columns."""
    from shapely.geometry import mapping

    from .barriers import _to_wgs84

    by_id = {c.id: c for c in candidates}
    recs = table.to_dict(orient="records")
    geoms = _to_wgs84([by_id[str(r["id"])].geometry for r in recs], crs)
    feats = []
    for g, r in zip(geoms, recs):
        props = {k: (None if isinstance(v, float) and not math.isfinite(v) else (v.item() if hasattr(v, "item") else v))
                 for k, v in r.items()}
        feats.append({"type": "Feature", "geometry": mapping(g), "properties": props})
    return {"type": "FeatureCollection", "features": feats}
