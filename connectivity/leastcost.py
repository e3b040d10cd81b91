"""Least-cost analysis: cost-weighted distance, least-cost paths, link metrics and corridors.

All shortest-path work is done by scikit-image's :class:`skimage.graph.MCP_Geometric`
(a compiled Dijkstra on the grid); nothing here walks the graph by hand.

Cost convention (Linkage Mapper / ArcGIS *Cost Distance*)
---------------------------------------------------------
The cost of a step between two neighbouring valid cells is the **mean of the two cells'
resistances times the step length in map units**: ``(r_a + r_b) / 2 * d`` with ``d`` the
cell width or height for an orthogonal step and ``hypot(width, height)`` for a diagonal
one. Core (source) cells start at cost 0. Cells outside the landscape (nodata) are
impassable. ``MCP_Geometric`` implements exactly this rule; passing the cell height/width as
its ``sampling`` gives the step lengths in map units. With ``neighbors=4`` only the four
orthogonal offsets are used.

References
----------
McRae, B. H. & Kavanagh, D. M. (2011). Linkage Mapper Connectivity Analysis Software.
The Nature Conservancy, Seattle. (normalised least-cost corridors, link metrics)
Adriaensen, F. et al. (2003). The application of 'least-cost' modelling as a functional
landscape model. Landscape and Urban Planning 64: 233-247.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genetics.errors import InputDataError
from genetics.parallel import map_ordered

from .raster import Raster

__all__ = [
    "LeastCostResult",
    "cost_distance",
    "least_cost_analysis",
    "corridors",
    "adjacency_pairs",
    "check_resistance",
    "ADJACENCY_MODES",
    "LINK_COLUMNS",
]

ADJACENCY_MODES = ("all", "cost", "euclidean", "delaunay")
LINK_COLUMNS = [
    "from",
    "to",
    "cost_distance",
    "euclidean_km",
    "path_km",
    "cwd_to_path_ratio",
    "cwd_to_euclidean_ratio",
    "intermediate_core",
]

_OFFSETS_4 = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.intp)


# --------------------------------------------------------------------------------------
# checks


def check_resistance(resistance: np.ndarray, valid: np.ndarray, *, path: Any = None) -> None:
    """Raise :class:`InputDataError` unless every valid cell has a finite resistance > 0.

    Parameters
    ----------
    resistance : ndarray, shape (rows, cols), float
    valid : ndarray of bool, shape (rows, cols)
        Cells inside the landscape (nodata cells are ``False``; they are impassable).
    """
    if resistance.ndim != 2 or resistance.shape != valid.shape:
        raise InputDataError(
            f"resistance grid shape {resistance.shape} does not match its mask {valid.shape}", path=path
        )
    vals = resistance[valid]
    if vals.size == 0:
        raise InputDataError("resistance grid has no valid (non-nodata) cells", path=path)
    bad = ~np.isfinite(vals)
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} valid cell(s) have a non-finite resistance; mark cells outside "
            "the landscape with the nodata value", path=path)
    nonpos = vals <= 0
    if nonpos.any():
        r, c = np.argwhere(valid & (resistance <= 0))[0]
        raise InputDataError(
            f"{int(nonpos.sum())} cell(s) have zero or negative resistance (first at row {r}, col {c}, "
            f"value {resistance[r, c]:g}); resistance must be > 0, use nodata for cells outside the landscape",
            path=path)


def _sampling(cellsize: float | tuple[float, float]) -> tuple[float, float]:
    """(row step, col step) = (height, width) in map units from a scalar or (width, height)."""
    if np.ndim(cellsize) == 0:
        w = h = float(cellsize)  # type: ignore[arg-type]
    else:
        w, h = (float(v) for v in cellsize)  # type: ignore[union-attr]
    if not (w > 0 and h > 0 and math.isfinite(w) and math.isfinite(h)):
        raise InputDataError(f"cell size must be positive, got {cellsize!r}")
    return (h, w)


def _check_neighbors(neighbors: int) -> None:
    if neighbors not in (4, 8):
        raise InputDataError(f"neighbors must be 4 or 8, got {neighbors}")


def _mcp(costs: np.ndarray, sampling: tuple[float, float], neighbors: int):
    from skimage.graph import MCP_Geometric

    if neighbors == 4:
        return MCP_Geometric(costs, offsets=_OFFSETS_4, sampling=sampling)
    return MCP_Geometric(costs, fully_connected=True, sampling=sampling)


def _costs(resistance: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Float64 cost grid for MCP with nodata cells set to +inf (impassable)."""
    costs = np.asarray(resistance, dtype=np.float64).copy()
    costs[~valid] = np.inf
    return costs


# --------------------------------------------------------------------------------------
# cost distance


def cost_distance(
    resistance: np.ndarray,
    valid: np.ndarray,
    sources_mask: np.ndarray,
    cellsize: float | tuple[float, float],
    neighbors: int = 8,
) -> np.ndarray:
    """Cost-weighted distance (CWD) from a set of source cells.

    Parameters
    ----------
    resistance : ndarray, shape (rows, cols), float
        Resistance per cell; must be finite and > 0 on valid cells.
    valid : ndarray of bool, shape (rows, cols)
        Cells inside the landscape; the others are impassable.
    sources_mask : ndarray of bool, shape (rows, cols)
        Source cells (CWD 0); must be valid cells.
    cellsize : float or (width, height)
        Cell size in map units (metres for a projected grid).
    neighbors : {8, 4}
        Queen's (8) or rook's (4) moves.

    Returns
    -------
    ndarray, shape (rows, cols), float64
        Accumulated cost (resistance × map units, step cost = mean of the two cells'
        resistances × step length); ``inf`` where unreachable or outside the landscape.

    Raises
    ------
    InputDataError
        Non-positive or non-finite resistance on a valid cell, no sources, or a source on nodata.
    """
    _check_neighbors(neighbors)
    valid = np.asarray(valid, dtype=bool)
    sources_mask = np.asarray(sources_mask, dtype=bool)
    check_resistance(np.asarray(resistance, dtype=np.float64), valid)
    if sources_mask.shape != valid.shape:
        raise InputDataError(f"sources mask shape {sources_mask.shape} differs from the grid {valid.shape}")
    if not sources_mask.any():
        raise InputDataError("no source cells given")
    if (sources_mask & ~valid).any():
        raise InputDataError(f"{int((sources_mask & ~valid).sum())} source cell(s) lie on nodata")
    mcp = _mcp(_costs(resistance, valid), _sampling(cellsize), neighbors)
    cwd, _ = mcp.find_costs(np.argwhere(sources_mask))
    cwd = np.asarray(cwd, dtype=np.float64)
    cwd[~valid] = np.inf
    return cwd


# --------------------------------------------------------------------------------------
# least-cost analysis


@dataclass
class LeastCostResult:
    """Everything a least-cost analysis between core areas computes.

    Attributes
    ----------
    core_ids : ndarray of int, shape (n,)
        Core ids, ascending; row/column ``k`` of every array below belongs to ``core_ids[k]``.
    cwd : ndarray of float64, shape (n, rows, cols)
        Cost-weighted distance from each core (inf = unreachable / nodata).
    lcd : ndarray of float64, shape (n, n)
        Pairwise least-cost distance (cost units); inf where two cores are not connected,
        0 on the diagonal.
    paths : dict[(int, int), (ndarray, ndarray)]
        Least-cost path of every pair of core ids ``(a, b)`` with ``a < b`` (all pairs,
        whatever the adjacency): ``(rows, cols)`` int arrays from a cell of core ``a`` to the
        nearest (in cost) cell of core ``b``. Pairs without a path are absent.
    links : pandas.DataFrame
        One row per link kept by the adjacency rule, columns :data:`LINK_COLUMNS`:
        ``from, to`` (core ids), ``cost_distance`` (LCD), ``euclidean_km`` (edge-to-edge
        distance between core cells' centres), ``path_km`` (least-cost path length),
        ``cwd_to_path_ratio`` (LCD / path length in map units = mean resistance along the
        path), ``cwd_to_euclidean_ratio`` (LCD / Euclidean distance in map units),
        ``intermediate_core`` (id of a third core the path crosses, 0 if none).
    euclidean : ndarray of float64, shape (n, n)
        Edge-to-edge Euclidean distances in map units.
    path_length : ndarray of float64, shape (n, n)
        Least-cost path lengths in map units (nan where no path).
    grid : Raster
        The resistance raster the analysis ran on.
    neighbors : int
    adjacency : str
    """

    core_ids: np.ndarray
    cwd: np.ndarray
    lcd: np.ndarray
    paths: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]
    links: pd.DataFrame
    euclidean: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    path_length: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    grid: Raster | None = field(repr=False, default=None)
    neighbors: int = 8
    adjacency: str = "all"

    def index(self, core_id: int) -> int:
        """Position of *core_id* in :attr:`core_ids`."""
        pos = np.flatnonzero(self.core_ids == core_id)
        if pos.size == 0:
            raise KeyError(core_id)
        return int(pos[0])


def _min_by_label(values: np.ndarray, labels: np.ndarray, flat: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per label in *ids*: the minimum of *values* over its cells and the flat index of the first
    cell reaching it (raster order). *labels*/*flat* list the core cells only (small arrays)."""
    order = np.lexsort((flat, values, labels))
    lab = labels[order]
    first = np.r_[0, np.flatnonzero(np.diff(lab)) + 1]
    mins = np.full(ids.size, np.inf)
    where = np.full(ids.size, -1, dtype=np.int64)
    pos = np.searchsorted(ids, lab[first])
    mins[pos] = values[order][first]
    where[pos] = flat[order][first]
    return mins, where


def _core_job(args: tuple) -> tuple:
    """Per-core work (module level so process pools and Dask can pickle it).

    Returns (cwd, lcd_row, euclid_row, {target_id: (rows, cols, length)}).
    """
    costs, cores, valid, core_id, ids, sampling, neighbors, core_flat, core_lab = args
    from scipy.spatial import cKDTree

    mcp = _mcp(costs, sampling, neighbors)
    starts = np.column_stack(np.unravel_index(core_flat[core_lab == core_id], cores.shape))
    cwd, _ = mcp.find_costs(starts)
    cwd = np.asarray(cwd, dtype=np.float64)
    cwd[~valid] = np.inf
    lcd_row, ends = _min_by_label(cwd.ravel()[core_flat], core_lab, core_flat, ids)
    # edge-to-edge Euclidean distance: nearest cell of this core to every core cell (k-d tree
    # over the core cells only, not a full-grid distance transform)
    r_all, c_all = np.unravel_index(core_flat, cores.shape)
    xy = np.column_stack([r_all * sampling[0], c_all * sampling[1]])
    mine = core_lab == core_id
    dist, _ = cKDTree(xy[mine]).query(xy)
    euc_row, _ = _min_by_label(np.asarray(dist, dtype=np.float64), core_lab, core_flat, ids)
    paths: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
    for k in np.flatnonzero((ids > core_id) & np.isfinite(lcd_row)):
        end = np.unravel_index(ends[k], cores.shape)
        rc = np.asarray(mcp.traceback((int(end[0]), int(end[1]))), dtype=np.int64)
        rows, cols = rc[:, 0], rc[:, 1]
        steps = np.hypot(np.diff(rows) * sampling[0], np.diff(cols) * sampling[1])
        paths[int(ids[k])] = (rows, cols, float(steps.sum()))
    return cwd, lcd_row, euc_row, paths


def _unit_to_km(raster: Raster) -> float:
    """Factor from map units to km (metres assumed when the CRS is unknown)."""
    crs = raster.crs
    if crs is None:
        return 1e-3
    try:
        _, factor = crs.linear_units_factor
    except Exception:  # pragma: no cover - CRS without linear units
        return 1e-3
    return float(factor) / 1000.0


def least_cost_analysis(
    resistance: Raster,
    cores: np.ndarray,
    neighbors: int = 8,
    executor: Executor | None = None,
    *,
    adjacency: str = "all",
    drop_intermediate: bool = False,
) -> LeastCostResult:
    """Cost-weighted distances, least-cost distances, paths and link metrics between cores.

    Parameters
    ----------
    resistance : Raster
        Resistance on a projected (metric) grid; nodata cells are impassable; valid cells must
        have resistance > 0.
    cores : ndarray of int, shape (rows, cols)
        Core-area id of every cell, 0 = not a core. Core cells must be valid.
    neighbors : {8, 4}
    executor : concurrent.futures.Executor, optional
        Runs the per-core cost-distance work (``map_ordered``); results are identical.
    adjacency : {"all", "cost", "euclidean", "delaunay"}
        Which pairs become links: every pair; cores whose cost-weighted allocation zones touch
        (Linkage Mapper's default); whose Euclidean allocation zones touch; or Delaunay
        neighbours of the core centroids.
    drop_intermediate : bool
        Drop links whose least-cost path passes through a third core (Linkage Mapper option).

    Returns
    -------
    LeastCostResult

    Raises
    ------
    InputDataError
        Geographic CRS, bad resistance values, fewer than two cores, cores on nodata.
    """
    _check_neighbors(neighbors)
    if adjacency not in ADJACENCY_MODES:
        raise InputDataError(f"unknown adjacency {adjacency!r}; use one of {', '.join(ADJACENCY_MODES)}")
    if resistance.is_geographic:
        raise InputDataError(
            "resistance grid is in a geographic (lon/lat) CRS: degrees are not square cells; "
            "reproject it to a metric CRS first (connectivity.raster.to_metric)")
    valid = resistance.valid
    check_resistance(resistance.values, valid)
    cores = np.asarray(cores)
    if cores.shape != resistance.shape:
        raise InputDataError(f"core grid shape {cores.shape} differs from the resistance grid {resistance.shape}")
    if not np.issubdtype(cores.dtype, np.integer):
        if not np.all(np.isfinite(cores)) or np.any(cores != np.round(cores)):
            raise InputDataError("core ids must be whole numbers")
        cores = cores.astype(np.int64)
    cores = np.where(cores > 0, cores, 0).astype(np.int64)
    on_nodata = (cores > 0) & ~valid
    if on_nodata.any():
        bad = np.unique(cores[on_nodata])
        raise InputDataError(
            f"core(s) {', '.join(str(int(b)) for b in bad[:10])} have {int(on_nodata.sum())} cell(s) on nodata")
    ids = np.unique(cores[cores > 0])
    if ids.size < 2:
        raise InputDataError(f"need at least two core areas, found {ids.size}")

    sampling = (resistance.cellsize[1], resistance.cellsize[0])
    costs = _costs(resistance.values, valid)
    core_flat = np.flatnonzero(cores.ravel() > 0)
    core_lab = cores.ravel()[core_flat]
    jobs = [(costs, cores, valid, int(c), ids, sampling, neighbors, core_flat, core_lab) for c in ids]
    out = map_ordered(_core_job, jobs, executor=executor, desc="cost distance")

    n = ids.size
    cwd = np.stack([o[0] for o in out])
    lcd = np.vstack([o[1] for o in out])
    lcd = np.minimum(lcd, lcd.T)  # symmetric in exact arithmetic; guard rounding
    np.fill_diagonal(lcd, 0.0)
    euc = np.vstack([o[2] for o in out])
    euc = np.minimum(euc, euc.T)
    np.fill_diagonal(euc, 0.0)
    plen = np.full((n, n), np.nan)
    paths: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    pos = {int(c): k for k, c in enumerate(ids)}
    for k, o in enumerate(out):
        for t, (r, c, length) in o[3].items():
            paths[(int(ids[k]), t)] = (r, c)
            plen[k, pos[t]] = plen[pos[t], k] = length

    pairs = adjacency_pairs(adjacency, cwd=cwd, cores=cores, ids=ids, valid=valid,
                            raster=resistance, sampling=sampling, neighbors=neighbors)
    km = _unit_to_km(resistance)
    rows = []
    for a, b in pairs:
        i, j = pos[a], pos[b]
        if not np.isfinite(lcd[i, j]):
            continue
        pr, pc = paths[(a, b)]
        on = cores[pr, pc]
        third = on[(on != 0) & (on != a) & (on != b)]
        inter = int(third[0]) if third.size else 0
        if drop_intermediate and inter:
            continue
        L = plen[i, j]
        rows.append((a, b, lcd[i, j], euc[i, j] * km, L * km,
                     lcd[i, j] / L if L > 0 else np.nan,
                     lcd[i, j] / euc[i, j] if euc[i, j] > 0 else np.nan, inter))
    links = pd.DataFrame(rows, columns=LINK_COLUMNS)
    links = links.astype({"from": "int64", "to": "int64", "intermediate_core": "int64"})
    return LeastCostResult(core_ids=ids, cwd=cwd, lcd=lcd, paths=paths, links=links, euclidean=euc,
                           path_length=plen, grid=resistance, neighbors=neighbors, adjacency=adjacency)


# --------------------------------------------------------------------------------------
# adjacency


def _touching_pairs(alloc: np.ndarray, neighbors: int) -> set[tuple[int, int]]:
    """Pairs of different allocation labels (> 0) that touch across a cell edge (or corner)."""
    shifts = [(alloc[:, :-1], alloc[:, 1:]), (alloc[:-1, :], alloc[1:, :])]
    if neighbors == 8:
        shifts += [(alloc[:-1, :-1], alloc[1:, 1:]), (alloc[:-1, 1:], alloc[1:, :-1])]
    found = []
    for a, b in shifts:
        m = (a != b) & (a > 0) & (b > 0)
        if m.any():
            found.append(np.stack([np.minimum(a[m], b[m]), np.maximum(a[m], b[m])], axis=1))
    if not found:
        return set()
    u = np.unique(np.concatenate(found), axis=0)
    return {(int(x), int(y)) for x, y in u}


def adjacency_pairs(
    mode: str,
    *,
    cwd: np.ndarray,
    cores: np.ndarray,
    ids: np.ndarray,
    valid: np.ndarray,
    raster: Raster,
    sampling: tuple[float, float],
    neighbors: int = 8,
) -> list[tuple[int, int]]:
    """Candidate links ``(a, b)`` with ``a < b`` (core ids) under an adjacency rule.

    ``"cost"``: allocate every valid cell to the core with the smallest CWD and link cores whose
    zones touch (Linkage Mapper step 1, cost-weighted allocation). ``"euclidean"``: the same
    with Euclidean allocation. ``"delaunay"``: Delaunay triangulation of the core centroids.
    ``"all"``: every pair.
    """
    from itertools import combinations

    allpairs = [(int(a), int(b)) for a, b in combinations(ids.tolist(), 2)]
    if mode == "all":
        return allpairs
    if mode == "cost":
        finite = np.isfinite(cwd).any(axis=0)
        alloc = np.where(finite & valid, ids[np.argmin(np.where(np.isfinite(cwd), cwd, np.inf), axis=0)], 0)
        touching = _touching_pairs(alloc, neighbors)
        return [p for p in allpairs if p in touching]
    if mode == "euclidean":
        from scipy import ndimage

        _, (ri, ci) = ndimage.distance_transform_edt(cores == 0, sampling=sampling, return_indices=True)
        alloc = np.where(valid, cores[ri, ci], 0)
        touching = _touching_pairs(alloc, neighbors)
        return [p for p in allpairs if p in touching]
    if mode == "delaunay":
        from scipy import ndimage
        from scipy.spatial import Delaunay
        from scipy.spatial import QhullError

        if ids.size < 3:
            return allpairs
        cent = np.asarray(ndimage.center_of_mass(np.ones_like(cores, dtype=float), cores, ids))
        pts = np.stack([cent[:, 1] * sampling[1], -cent[:, 0] * sampling[0]], axis=1)
        try:
            tri = Delaunay(pts)
        except QhullError:  # collinear centroids: consecutive neighbours along the line
            order = np.argsort(pts[:, 0] + pts[:, 1] * 1e-9)
            edges = {tuple(sorted((int(ids[order[k]]), int(ids[order[k + 1]])))) for k in range(len(order) - 1)}
            return [p for p in allpairs if p in edges]
        s = tri.simplices
        e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
        e = np.unique(np.sort(ids[e], axis=1), axis=0)
        edges = {(int(a), int(b)) for a, b in e}
        return [p for p in allpairs if p in edges]
    raise InputDataError(f"unknown adjacency {mode!r}")


# --------------------------------------------------------------------------------------
# corridors


def corridors(
    result: LeastCostResult,
    width: float | None = None,
    *,
    normalize: bool = False,
    links: pd.DataFrame | None = None,
) -> np.ndarray:
    """Normalised least-cost corridors mosaicked by minimum (Linkage Mapper step 5).

    For each link A–B the corridor value of a cell is ``CWD_A + CWD_B - LCD_AB``: 0 on the
    least-cost path, and how much costlier the best route through that cell is. The mosaic is
    the minimum over the links; cells above *width* (cost units, or a fraction of LCD when
    *normalize*) are cut.

    Parameters
    ----------
    result : LeastCostResult
    width : float, optional
        Truncation width; ``None`` keeps every reachable cell.
    normalize : bool
        Divide each link's corridor by its LCD before mosaicking (comparable widths).
    links : DataFrame, optional
        Links to use (default ``result.links``).

    Returns
    -------
    ndarray of float64, shape (rows, cols)
        Corridor value; ``inf`` outside every (truncated) corridor and on nodata.
    """
    links = result.links if links is None else links
    shape = result.cwd.shape[1:]
    mosaic = np.full(shape, np.inf)
    for a, b in zip(links["from"].to_numpy(), links["to"].to_numpy()):
        i, j = result.index(int(a)), result.index(int(b))
        lcd = result.lcd[i, j]
        if not np.isfinite(lcd):
            continue
        with np.errstate(invalid="ignore"):
            c = result.cwd[i] + result.cwd[j] - lcd
        np.maximum(c, 0.0, out=c, where=np.isfinite(c))  # rounding can give -1e-12 on the path
        if normalize and lcd > 0:
            c /= lcd
        np.minimum(mosaic, c, out=mosaic)
    mosaic[~np.isfinite(mosaic)] = np.inf
    if width is not None:
        if width < 0:
            raise InputDataError(f"corridor width must be >= 0, got {width}")
        mosaic[mosaic > width] = np.inf
    return mosaic
