"""Raster → circuit graph, exactly as Circuitscape builds it.

Conventions (Circuitscape.jl ``src/raster/pairwise.jl``; McRae et al. 2008, *Ecology* 89:2712):

* cell conductance g = 1/R when the habitat map holds resistances, else the value itself;
  nodata and g = 0 are "no node"; a resistance of 0 or any negative value is an error;
* every habitat cell is a node, except that all cells of one short-circuit polygon (or merged
  focal region) are a single node — the node exists when at least one of its cells is habitat,
  and then every cell of the polygon maps to it (nodata cells included);
* edges to the right and lower neighbours (4-neighbour), plus both diagonals with 8 neighbours;
  edge conductance is the mean conductance (``avg='conductance'``) or 1/mean resistance
  (``avg='resistance'``), diagonals divided by sqrt(2); cell size never enters;
* parallel edges between the same two nodes add (conductors in parallel); edges inside one
  node vanish.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from genetics.errors import InputDataError

__all__ = [
    "Graph",
    "RasterGraph",
    "conductance_from_values",
    "node_map_from_cells",
    "raster_graph",
]


@dataclass
class Graph:
    """An undirected weighted graph (each edge stored once).

    Attributes
    ----------
    n_nodes : int
    u, v : numpy.ndarray of int64, shape (n_edges,)
        End nodes, ``u != v``.
    w : numpy.ndarray of float64, shape (n_edges,)
        Edge conductances (> 0).
    """

    n_nodes: int
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray

    def adjacency(self) -> sp.csr_matrix:
        """Symmetric conductance matrix A, shape (n_nodes, n_nodes), duplicates summed (cached)."""
        cached = self.__dict__.get("_adj")
        if cached is not None:
            return cached
        n = self.n_nodes
        a = sp.coo_matrix(
            (np.concatenate([self.w, self.w]), (np.concatenate([self.u, self.v]), np.concatenate([self.v, self.u]))),
            shape=(n, n),
        ).tocsr()
        a.sum_duplicates()
        self.__dict__["_adj"] = a
        return a

    def laplacian(self) -> sp.csr_matrix:
        """Graph Laplacian L = D - A (csr, float64)."""
        a = self.adjacency()
        d = np.asarray(a.sum(axis=1)).ravel()
        return (sp.diags(d) - a).tocsr()

    def components(self) -> np.ndarray:
        """Connected-component label of every node, shape (n_nodes,), int64."""
        if self.n_nodes == 0:
            return np.zeros(0, dtype=np.int64)
        _, labels = connected_components(self.adjacency(), directed=False)
        return labels.astype(np.int64)

    def contract(self, groups: np.ndarray) -> tuple["Graph", np.ndarray]:
        """Merge nodes: ``groups`` maps node → group label (any ints, -1 = keep alone).

        Returns the contracted graph and the old → new node map, shape (n_nodes,).
        """
        key = np.where(groups >= 0, groups.astype(np.int64), -1)
        # nodes kept alone get unique keys beyond the group labels
        alone = key < 0
        big = (key.max() + 1) if key.size and key.max() >= 0 else 0
        key = key.copy()
        key[alone] = big + np.flatnonzero(alone)
        _, new = np.unique(key, return_inverse=True)
        new = new.astype(np.int64)
        u, v = new[self.u], new[self.v]
        keep = u != v
        return Graph(int(new.max()) + 1 if new.size else 0, u[keep], v[keep], self.w[keep]), new


@dataclass
class RasterGraph:
    """A graph built from a raster, with the cell → node map used to paint results.

    Attributes
    ----------
    graph : Graph
    node_map : numpy.ndarray of int64, shape (rows, cols)
        Node of every cell, -1 for cells that are not part of any node.
    """

    graph: Graph
    node_map: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.node_map.shape  # type: ignore[return-value]

    def paint(self, node_values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Cell grid of per-node values, *fill* where there is no node; shape (rows, cols)."""
        out = np.full(self.node_map.shape, fill, dtype=np.float64)
        m = self.node_map >= 0
        out[m] = node_values[self.node_map[m]]
        return out


def conductance_from_values(
    values: np.ndarray,
    valid: np.ndarray,
    *,
    is_resistance: bool,
    path: str | None = None,
) -> np.ndarray:
    """Cell conductances from a habitat grid.

    Parameters
    ----------
    values : numpy.ndarray, shape (rows, cols)
    valid : numpy.ndarray of bool, shape (rows, cols)
        Cells with data (nodata cells become g = 0).
    is_resistance : bool
        Values are resistances (g = 1/R) rather than conductances.
    path : str, optional
        File name for error messages.

    Returns
    -------
    numpy.ndarray of float64, shape (rows, cols); 0 = no node.

    Raises
    ------
    InputDataError
        Zero resistance, negative values, or no habitat cell at all.
    """
    vals = np.asarray(values, dtype=np.float64)
    ok = np.asarray(valid, dtype=bool) & np.isfinite(vals)
    if np.any(ok & (vals < 0)):
        r, c = np.argwhere(ok & (vals < 0))[0]
        raise InputDataError(
            f"negative {'resistance' if is_resistance else 'conductance'} {vals[r, c]:g} at row {r + 1}, "
            f"column {c + 1}: values must be positive", path=path)
    g = np.zeros(vals.shape, dtype=np.float64)
    if is_resistance:
        if np.any(ok & (vals == 0)):
            r, c = np.argwhere(ok & (vals == 0))[0]
            raise InputDataError(
                f"zero resistance at row {r + 1}, column {c + 1}: zero resistance is not supported; "
                "use a short-circuit (polygon) region instead", path=path)
        g[ok] = 1.0 / vals[ok]
    else:
        g[ok] = vals[ok]
    if not np.any(g > 0):
        raise InputDataError("the habitat map has no usable cell (all nodata or zero conductance)", path=path)
    return g


def node_map_from_cells(habitat: np.ndarray, polygons: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Cell → node map: one node per habitat cell, one per polygon that touches habitat.

    Parameters
    ----------
    habitat : numpy.ndarray of bool, shape (rows, cols)
    polygons : numpy.ndarray of int, shape (rows, cols), optional
        Polygon IDs, 0 (or negative) = none.

    Returns
    -------
    node_map : numpy.ndarray of int64, shape (rows, cols), -1 = no node
    n_nodes : int
    """
    shape = habitat.shape
    ncell = habitat.size
    key = np.full(ncell, -1, dtype=np.int64)
    hab = habitat.ravel()
    key[hab] = np.flatnonzero(hab)
    if polygons is not None:
        poly = np.asarray(polygons).ravel().astype(np.int64)
        inpoly = poly > 0
        if np.any(inpoly):
            ids_with_habitat = np.unique(poly[inpoly & hab])
            live = inpoly & np.isin(poly, ids_with_habitat)
            key[live] = ncell + poly[live]
    node_map = np.full(ncell, -1, dtype=np.int64)
    used = key >= 0
    _, inv = np.unique(key[used], return_inverse=True)
    node_map[used] = inv
    n = int(inv.max()) + 1 if inv.size else 0
    return node_map.reshape(shape), n


def _pair_slices(rows: int, cols: int, dr: int, dc: int):
    """Index slices of (cell, neighbour at +dr, +dc) over the whole grid."""
    r0 = slice(max(0, -dr), rows - max(0, dr))
    r1 = slice(max(0, dr), rows - max(0, -dr))
    c0 = slice(0, cols - dc)
    c1 = slice(dc, cols)
    return (r0, c0), (r1, c1)


def raster_graph(
    conductance: np.ndarray,
    *,
    polygons: np.ndarray | None = None,
    neighbors: int = 8,
    avg: str = "conductance",
) -> RasterGraph:
    """Build Circuitscape's graph of a conductance grid.

    Parameters
    ----------
    conductance : numpy.ndarray of float64, shape (rows, cols)
        Cell conductances, 0 = no node (see :func:`conductance_from_values`).
    polygons : numpy.ndarray of int, shape (rows, cols), optional
        Short-circuit region IDs (0 = none).
    neighbors : {4, 8}
    avg : {'conductance', 'resistance'}
        Connection scheme: mean of conductances, or 1 / mean of resistances.

    Returns
    -------
    RasterGraph
    """
    if neighbors not in (4, 8):
        raise ValueError("neighbors must be 4 or 8")
    if avg not in ("conductance", "resistance"):
        raise ValueError("avg must be 'conductance' or 'resistance'")
    g = np.asarray(conductance, dtype=np.float64)
    habitat = g > 0
    node_map, n = node_map_from_cells(habitat, polygons)
    rows, cols = g.shape
    offsets = [(0, 1, 1.0), (1, 0, 1.0)]
    if neighbors == 8:
        offsets += [(1, 1, np.sqrt(2.0)), (-1, 1, np.sqrt(2.0))]
    us, vs, ws = [], [], []
    for dr, dc, dist in offsets:
        if dc == 0:
            a, b = (slice(0, rows - dr), slice(None)), (slice(dr, rows), slice(None))
        else:
            a, b = _pair_slices(rows, cols, dr, dc)
        ga, gb = g[a], g[b]
        both = (ga > 0) & (gb > 0)
        x, y = ga[both], gb[both]
        if avg == "conductance":
            w = (x + y) / (2.0 * dist)
        else:
            w = 1.0 / (dist * (1.0 / x + 1.0 / y) / 2.0)
        nu, nv = node_map[a][both], node_map[b][both]
        keep = nu != nv
        us.append(nu[keep]); vs.append(nv[keep]); ws.append(w[keep])
    graph = Graph(n, np.concatenate(us), np.concatenate(vs), np.concatenate(ws))
    return RasterGraph(graph, node_map)


def group_cells_by_id(flat: np.ndarray, ids_all: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Group flat cell indices by their (positive) focal ID.

    Parameters
    ----------
    flat : numpy.ndarray of int, shape (k,)
        Flat cell indices.
    ids_all : numpy.ndarray of int, shape (k,)
        The ID of each of those cells.

    Returns
    -------
    ids : numpy.ndarray of int
        Sorted distinct positive IDs (may be empty).
    cells : list of numpy.ndarray
        For every ID, its flat cell indices in input order.
    """
    ids = np.unique(ids_all[ids_all > 0]) if ids_all.size else ids_all
    order = np.argsort(ids_all, kind="stable")
    srt = ids_all[order]
    cells = [flat[order[np.searchsorted(srt, i, "left"):np.searchsorted(srt, i, "right")]] for i in ids]
    return ids, cells
