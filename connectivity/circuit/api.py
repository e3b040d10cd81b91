"""Pure array API of the circuit engine (no file I/O).

Used by the ranking code and by the CLI layers. Inputs are conductance grids (0 = no node) and
integer focal grids (0 = none; an ID on several cells is a focal region).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor

import numpy as np

from genetics.errors import InputDataError

from .currents import node_currents
from .graph import Graph, RasterGraph, group_cells_by_id, raster_graph
from .modes import PairwiseSolution, pairwise_solve

__all__ = [
    "effective_resistance_matrix",
    "cumulative_current",
    "pairwise_raster",
    "pair_maps",
    "pinchpoints",
]


def _focal_cells(focal: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    f = np.asarray(focal)
    flat = np.flatnonzero(f.ravel() > 0)
    vals = np.rint(f.ravel()[flat]).astype(np.int64)
    ids, cells = group_cells_by_id(flat, vals)
    if ids.size == 0:
        raise InputDataError("no focal points (focal grid has no positive ID)")
    return ids, cells


def _nodes(rg: RasterGraph, cells: list[np.ndarray]) -> list[np.ndarray]:
    nm = rg.node_map.ravel()
    return [np.unique(nm[c][nm[c] >= 0]) for c in cells]


def pairwise_raster(
    conductance: np.ndarray,
    focal: np.ndarray,
    *,
    neighbors: int = 8,
    avg: str = "conductance",
    polygons: np.ndarray | None = None,
    regions: str = "circuitscape",
    include: np.ndarray | None = None,
    solver: str = "cg+amg",
    rtol: float = 1e-6,
    executor: Executor | None = None,
    keep_region_voltages: bool = False,
) -> tuple[np.ndarray, list[np.ndarray], RasterGraph, list[np.ndarray], PairwiseSolution]:
    """Build the graph and solve all focal pairs; returns (ids, cells, graph, nodes, solution)."""
    g = np.asarray(conductance, dtype=np.float64)
    if g.shape != np.shape(focal):
        raise InputDataError(f"focal grid shape {np.shape(focal)} differs from conductance grid {g.shape}")
    if np.any(g < 0) or not np.all(np.isfinite(g)):
        raise InputDataError("conductances must be finite and >= 0 (0 = no node)")
    if not np.any(g > 0):
        raise InputDataError("the conductance grid has no positive cell")
    ids, cells = _focal_cells(focal)
    if regions not in ("circuitscape", "merge", "short_circuit"):
        raise ValueError("regions must be 'circuitscape' (merged per pair) or 'short_circuit'")
    rg = raster_graph(g, polygons=polygons, neighbors=neighbors, avg=avg)
    nodes = _nodes(rg, cells)
    if sum(len(n) > 0 for n in nodes) == 0:
        raise InputDataError("no focal point lies on a habitat cell")
    if regions == "short_circuit" and any(len(c) > 1 for c in cells):
        from .run import _merge_regions

        rg, node = _merge_regions(rg, nodes, cells)  # every region one node (with the polygons it touches)
        nodes = [np.array([x]) if x >= 0 else np.array([], dtype=np.int64) for x in node]
    sol = pairwise_solve(rg.graph, nodes, include=include, solver=solver, rtol=rtol, executor=executor,
                         keep_region_voltages=keep_region_voltages)
    return ids, cells, rg, nodes, sol


def pair_maps(rg: RasterGraph, cells: list[np.ndarray], nodes: list[np.ndarray],
              sol: PairwiseSolution) -> Iterator[tuple[int, int, Graph, np.ndarray, np.ndarray]]:
    """Yield (a, b, graph, node voltages, cell→node map) for every solved pair.

    The cell → node map paints the pair's focal-region cells (nodata ones included) with the
    region's node, as Circuitscape's maps do.
    """
    multi = any(len(c) > 1 for c in cells)
    for pv in sol.iter_voltages():
        nm = rg.node_map
        if pv.remap is not None:
            nm = np.where(nm >= 0, pv.remap[np.maximum(nm, 0)], -1)
        elif multi:
            nm = nm.copy()
        if pv.remap is not None or multi:
            flat = nm.ravel()
            for k in (pv.a, pv.b):
                flat[cells[k]] = nodes[k][0] if pv.remap is None else pv.remap[nodes[k][0]]
        yield pv.a, pv.b, pv.graph, pv.volts, nm


def effective_resistance_matrix(
    conductance: np.ndarray,
    focal: np.ndarray,
    neighbors: int = 8,
    avg: str = "conductance",
    solver: str = "cg+amg",
    executor: Executor | None = None,
    *,
    regions: str = "circuitscape",
    polygons: np.ndarray | None = None,
    rtol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise effective resistances between focal points/regions of a conductance grid.

    Circuit theory for landscape connectivity: McRae (2006) Evolution 60:1551; McRae et al.
    (2008) Ecology 89:2712. Graph conventions are Circuitscape's (see :mod:`.graph`).

    Parameters
    ----------
    conductance : numpy.ndarray of float, shape (rows, cols)
        Cell conductances; 0 = no node (nodata).
    focal : numpy.ndarray of int, shape (rows, cols)
        Focal IDs, 0 = none. An ID on several cells is a focal region.
    neighbors : {4, 8}
    avg : {'conductance', 'resistance'}
        Connection scheme (Circuitscape's ``connect_using_avg_resistances``).
    solver : {'cg+amg', 'direct', 'cholmod'}
    executor : concurrent.futures.Executor, optional
    regions : {'circuitscape', 'short_circuit'}
        'circuitscape' (alias 'merge'): each pair is solved with only its two regions merged
        (Circuitscape's rule, one factorisation per pair); 'short_circuit': every region is a
        short-circuit node throughout (one factorisation for all pairs; resistances differ
        from Circuitscape's when a path crosses a third region).
    polygons : numpy.ndarray of int, optional
        Short-circuit regions (0 = none).
    rtol : float
        CG relative tolerance.

    Returns
    -------
    ids : numpy.ndarray of int64, shape (n,)
        Sorted focal IDs.
    R : numpy.ndarray of float64, shape (n, n)
        Effective resistances (ohms); -1 between IDs in different components or off the
        habitat; 0 on the diagonal.
    """
    ids, _, _, _, sol = pairwise_raster(conductance, focal, neighbors=neighbors, avg=avg, polygons=polygons,
                                        regions=regions, solver=solver, rtol=rtol, executor=executor)
    return ids, sol.R


def cumulative_current(
    conductance: np.ndarray,
    focal: np.ndarray,
    neighbors: int = 8,
    avg: str = "conductance",
    solver: str = "cg+amg",
    executor: Executor | None = None,
    *,
    regions: str = "circuitscape",
    polygons: np.ndarray | None = None,
    include: np.ndarray | None = None,
    rtol: float = 1e-6,
    with_max: bool = False,
) -> dict[str, np.ndarray]:
    """Cumulative (and max) pairwise current map, Circuitscape's ``cum_curmap``.

    Each pair's voltages come from the n−1 grounded solves by superposition (no solve per
    pair unless focal regions are merged per pair).

    Returns
    -------
    dict with ``'cum_curmap'`` (rows, cols) float64 (0 where no node), ``'ids'``, ``'R'`` and,
    when *with_max*, ``'max_curmap'``.
    """
    ids, cells, rg, nodes, sol = pairwise_raster(conductance, focal, neighbors=neighbors, avg=avg,
                                                 polygons=polygons, regions=regions, include=include,
                                                 solver=solver, rtol=rtol, executor=executor,
                                                 keep_region_voltages=True)
    multi = any(len(c) > 1 for c in cells) and regions != "short_circuit"  # merged regions are painted already
    fast = None if (with_max or multi) else sol.cumulative_node_current()
    if fast is not None:
        return {"cum_curmap": rg.paint(fast), "ids": ids, "R": sol.R}
    cum_nodes = np.zeros(rg.graph.n_nodes)
    cum_cells = np.zeros(rg.shape)
    mx = np.full(rg.shape, -np.inf) if with_max else None
    for a, b, graph, volts, nm in pair_maps(rg, cells, nodes, sol):
        nc = node_currents(graph, volts)
        if nm is rg.node_map and mx is None:
            cum_nodes += nc
        else:
            grid = np.zeros(rg.shape)
            m = nm >= 0
            grid[m] = nc[nm[m]]
            cum_cells += grid
            if mx is not None:
                mx = np.maximum(mx, grid)
    out = {"cum_curmap": rg.paint(cum_nodes) + cum_cells, "ids": ids, "R": sol.R}
    if mx is not None:
        out["max_curmap"] = np.where(np.isfinite(mx), mx, 0.0)
    return out


def pinchpoints(
    resistance: np.ndarray,
    cores: np.ndarray,
    corridor_mask: np.ndarray,
    *,
    neighbors: int = 8,
    avg: str = "resistance",
    solver: str = "cg+amg",
    pairs: np.ndarray | None = None,
    executor: Executor | None = None,
) -> dict[str, np.ndarray]:
    """Pinch points: pairwise current between cores restricted to least-cost corridors.

    Linkage Mapper's Pinchpoint Mapper (McRae 2012, linkagemapper.org): Circuitscape is run on
    the resistance surface clipped to the truncated least-cost corridors, with the core areas as
    focal regions; high current density in narrow places marks pinch points.

    Parameters
    ----------
    resistance : numpy.ndarray, shape (rows, cols)
        Cell resistances (> 0; NaN or <= 0 = no data).
    cores : numpy.ndarray of int, shape (rows, cols)
        Core-area IDs (0 = none); cores are always kept inside the corridor.
    corridor_mask : numpy.ndarray of bool, shape (rows, cols)
        True inside the truncated corridor(s).
    pairs : numpy.ndarray of bool (n_cores, n_cores), optional
        Which core pairs to connect (e.g. the corridor links); default all.

    Returns
    -------
    dict with ``'current'`` (cumulative current in the corridors, rows x cols, NaN outside),
    ``'ids'`` and ``'R'`` (effective resistance per core pair within the corridors).
    """
    r = np.asarray(resistance, dtype=np.float64)
    if r.shape != np.shape(cores) or r.shape != np.shape(corridor_mask):
        raise InputDataError("resistance, cores and corridor mask must have the same shape")
    inside = (np.asarray(corridor_mask, dtype=bool) | (np.asarray(cores) > 0)) & np.isfinite(r) & (r > 0)
    g = np.where(inside, 1.0 / np.where(inside, r, 1.0), 0.0)
    res = cumulative_current(g, np.where(inside, cores, 0), neighbors=neighbors, avg=avg, solver=solver,
                             executor=executor, include=pairs)
    cur = np.where(inside, res["cum_curmap"], np.nan)
    return {"current": cur, "ids": res["ids"], "R": res["R"]}
