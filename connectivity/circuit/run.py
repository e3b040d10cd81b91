"""Run a Circuitscape configuration: read inputs, solve, write Circuitscape's output files."""

from __future__ import annotations

import logging
import os
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from connectivity.raster import Raster, read_raster
from connectivity.raster import check_aligned as raster_check_aligned
from genetics.errors import InputDataError

from . import io as cio
from .currents import node_currents
from .graph import Graph, RasterGraph, conductance_from_values, group_cells_by_id, raster_graph
from .ini import CircuitConfig
from .modes import advanced_solve, all_to_one_solve, one_to_all_solve, pairwise_solve
from .solvers import normalise_solver
from .api import pair_maps

__all__ = ["run_config", "RunResult", "check_aligned", "focal_cells"]

log = logging.getLogger("bigcats.circuit")

NODATA = -9999.0


@dataclass
class RunResult:
    """What a run computed and wrote."""

    ids: np.ndarray | None = None
    resistances: np.ndarray | None = None
    written: list[Path] = field(default_factory=list)
    maps: dict[str, np.ndarray] = field(default_factory=dict)


def check_aligned(ref: Raster, other: Raster, path: Path | str, what: str) -> None:
    """Raise InputDataError unless the *what* grid at *path* has the habitat map's grid.

    Shape and transform must agree (:func:`connectivity.raster.check_aligned`); a missing CRS
    (ASCII grids) matches any, as in Circuitscape.
    """
    try:
        raster_check_aligned([ref, other], ["the habitat map", os.fspath(path)], allow_missing_crs=True)
    except InputDataError as exc:
        raise InputDataError(f"{what} grid: {exc.message}", path=path) from None


def _read_aligned(path: Path, ref: Raster, what: str) -> Raster:
    r = read_raster(path)
    check_aligned(ref, r, path, what)
    return r


def _int_grid(r: Raster) -> np.ndarray:
    v = np.where(r.valid, r.values, 0.0)
    return np.rint(v).astype(np.int64)


def _text_points_to_cells(path: Path, ref: Raster, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``value x y`` → (values, rows, cols) with Circuitscape's ceil rule; outside = error."""
    t = cio.read_numeric_table(path, 3, f"{what} (value x y)")
    rows_n, cols_n = ref.shape
    tr = ref.transform
    cs = abs(tr.a)
    xll = tr.c
    yll = tr.f - rows_n * abs(tr.e)
    r = np.ceil(rows_n - (t[:, 2] - yll) / cs).astype(np.int64) - 1
    c = np.ceil((t[:, 1] - xll) / cs).astype(np.int64) - 1
    bad = (r < 0) | (r >= rows_n) | (c < 0) | (c >= cols_n)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{what} {t[k, 0]:g} at ({t[k, 1]:g}, {t[k, 2]:g}) lies outside the habitat map", path=path, line=k + 1)
    return t[:, 0], r, c


def focal_cells(cfg_path: Path, ref: Raster) -> tuple[np.ndarray, list[np.ndarray]]:
    """Focal IDs (sorted) and the flat cell indices of each, from a grid or an ``id x y`` list."""
    if cfg_path.suffix.lower() == ".txt":
        vals, r, c = _text_points_to_cells(cfg_path, ref, "focal point")
        ids_all = np.rint(vals).astype(np.int64)
        flat = r * ref.shape[1] + c
    else:
        grid = _int_grid(_read_aligned(cfg_path, ref, "focal point"))
        flat = np.flatnonzero(grid.ravel() > 0)
        ids_all = grid.ravel()[flat]
    ids, cells = group_cells_by_id(flat, ids_all)
    if ids.size == 0:
        raise InputDataError("no focal points (IDs must be positive integers)", path=cfg_path)
    return ids, cells


def _nodes_of(rg: RasterGraph, cells: list[np.ndarray]) -> list[np.ndarray]:
    nm = rg.node_map.ravel()
    out = []
    for c in cells:
        n = nm[c]
        out.append(np.unique(n[n >= 0]))
    return out


def _warn_invalid(ids: np.ndarray, nodes: list[np.ndarray], path: Path | None) -> None:
    bad = [int(i) for i, n in zip(ids, nodes) if len(n) == 0]
    good = len(ids) - len(bad)
    if good == 0:
        raise InputDataError("every focal point lies on nodata / outside the habitat; nothing to solve", path=path)
    if bad:
        log.warning("focal point(s) %s lie on nodata cells: their results are -1",
                    ", ".join(map(str, bad[:20])) + (" ..." if len(bad) > 20 else ""))


class _Maps:
    """Paints node results into grids following the configuration's output options."""

    def __init__(self, cfg: CircuitConfig, hab: Raster, rg: RasterGraph, res: RunResult) -> None:
        self.cfg, self.hab, self.rg, self.res = cfg, hab, rg, res
        self.base = cfg.output_base()
        self.ext = ".tif" if cfg.flag("write_as_tif") else ".asc"
        self.null_cur = cfg.flag("set_null_currents_to_nodata")
        self.null_volt = cfg.flag("set_null_voltages_to_nodata")
        self.log = cfg.flag("log_transform_maps")
        self.cum_only = cfg.flag("write_cum_cur_map_only")
        self.want_cur = cfg.flag("write_cur_maps") or self.cum_only
        self.want_volt = cfg.flag("write_volt_maps") and not self.cum_only
        self.want_max = cfg.flag("write_max_cur_maps") and self.want_cur
        self.cum = np.zeros(rg.shape)
        self.max = np.full(rg.shape, NODATA)
        self.any = False

    def node_grid(self, node_values: np.ndarray, node_map: np.ndarray) -> np.ndarray:
        out = np.zeros(node_map.shape)
        m = node_map >= 0
        out[m] = node_values[node_map[m]]
        return out

    def _finish(self, grid: np.ndarray, node_map: np.ndarray, null_nodata: bool) -> np.ndarray:
        g = grid.copy()
        if null_nodata:
            g[node_map < 0] = NODATA
        if self.log:
            pos = g > 0
            g = np.where(pos, np.log10(np.where(pos, g, 1.0)), NODATA)
        return g

    def write(self, name: str, grid: np.ndarray, node_map: np.ndarray, null_nodata: bool) -> None:
        path = Path(f"{self.base}_{name}{self.ext}")
        path.parent.mkdir(parents=True, exist_ok=True)
        cio.write_grid(path, self.hab, self._finish(grid, node_map, null_nodata))
        self.res.written.append(path)

    def add(self, suffix: str, graph: Graph, volts: np.ndarray, node_map: np.ndarray,
            ground: np.ndarray | None = None, cumulative: bool = True) -> None:
        if self.want_cur:
            cur = self.node_grid(node_currents(graph, volts, ground), node_map)
            if cumulative:
                self.cum += cur
            self.any = True
            if self.want_max:
                self.max = np.maximum(self.max, cur)
            if not self.cum_only:
                self.write(f"curmap{suffix}", cur, node_map, self.null_cur)
        if self.want_volt:
            self.write(f"voltmap{suffix}", self.node_grid(volts, node_map), node_map, self.null_volt)

    def close(self) -> None:
        if self.want_cur:
            nm = self.rg.node_map
            self.write("cum_curmap", self.cum, nm, self.null_cur)
            self.res.maps["cum_curmap"] = self.cum
            if self.want_max:
                mx = np.maximum(self.max, NODATA)
                self.write("max_curmap", mx, nm, self.null_cur)
                self.res.maps["max_curmap"] = mx


def _habitat(cfg: CircuitConfig) -> tuple[Raster, np.ndarray, Path]:
    hp = cfg.path("habitat_file", required=True)
    assert hp is not None
    hab = read_raster(hp)
    values, valid = hab.values, hab.valid
    if cfg.flag("use_reclass_table"):
        values, valid = cio.reclassify(values, valid, cio.read_reclass_table(cfg.path("reclass_file", required=True)))
    g = conductance_from_values(values, valid, is_resistance=cfg.flag("habitat_map_is_resistances"),
                                path=str(hp))
    if cfg.flag("use_mask"):
        mp = cfg.path("mask_file", required=True)
        mask = _read_aligned(mp, hab, "mask")
        g = np.where(mask.valid & (mask.values > 0), g, 0.0)
        if not np.any(g > 0):
            raise InputDataError("the mask removes every habitat cell", path=mp)
    return hab, g, hp


def _raster_graph(cfg: CircuitConfig, hab: Raster, g: np.ndarray) -> RasterGraph:
    poly = None
    if cfg.flag("use_polygons"):
        pp = cfg.path("polygon_file", required=True)
        poly = _int_grid(_read_aligned(pp, hab, "polygon"))
    return raster_graph(g, polygons=poly, neighbors=4 if cfg.flag("connect_four_neighbors_only") else 8,
                        avg="resistance" if cfg.flag("connect_using_avg_resistances") else "conductance")


def _strengths(cfg: CircuitConfig, ids: np.ndarray) -> np.ndarray:
    s = np.ones(len(ids))
    if cfg.flag("use_variable_source_strengths"):
        vp = cfg.path("variable_source_file", required=True)
        d = cio.read_strengths(vp)
        for k, i in enumerate(ids):
            if int(i) in d:
                s[k] = d[int(i)]
    return s


def _include(cfg: CircuitConfig, ids: np.ndarray, cells: list[np.ndarray]):
    """(ids, cells, include matrix or None) after pruning IDs the include file leaves out."""
    if not cfg.flag("use_included_pairs"):
        return ids, cells, None
    p = cfg.path("included_pairs_file", required=True)
    spec = cio.read_include_pairs(p)
    keep_ids = cio.include_ids(spec)
    if keep_ids is not None:
        keep = np.isin(ids, keep_ids)
        if not keep.any():
            raise InputDataError("no focal ID of the point file appears in the included pairs file", path=p)
        ids = ids[keep]
        cells = [c for c, k in zip(cells, keep) if k]
    return ids, cells, cio.include_matrix(spec, ids)


def run_config(cfg: CircuitConfig, *, executor: Executor | None = None, solver: str | None = None,
               rtol: float = 1e-6) -> RunResult:
    """Run one Circuitscape configuration and write its outputs under ``output_file``.

    Parameters
    ----------
    cfg : CircuitConfig
    executor : concurrent.futures.Executor, optional
        Where independent solves run.
    solver : str, optional
        Overrides the configuration's ``solver``.
    """
    method = normalise_solver(solver or cfg["solver"])
    base = cfg.output_base()
    base.parent.mkdir(parents=True, exist_ok=True)
    if cfg.data_type == "network":
        from .network import run_network

        return run_network(cfg, method=method, rtol=rtol, executor=executor)
    scen = cfg.scenario
    hab, g, hp = _habitat(cfg)
    rg = _raster_graph(cfg, hab, g)
    res = RunResult()
    if scen == "advanced":
        return _run_advanced(cfg, hab, rg, res, method, rtol)
    pf = cfg.path("point_file", required=True)
    assert pf is not None
    ids, cells = focal_cells(pf, hab)
    if scen == "pairwise":
        return _run_pairwise(cfg, hab, rg, ids, cells, res, method, rtol, executor, pf)
    return _run_one_all(cfg, hab, rg, ids, cells, res, method, rtol, executor, pf, scen)


def _run_pairwise(cfg, hab, rg, ids, cells, res, method, rtol, executor, pf) -> RunResult:
    ids, cells, include = _include(cfg, ids, cells)
    nodes = _nodes_of(rg, cells)
    _warn_invalid(ids, nodes, pf)
    maps = _Maps(cfg, hab, rg, res)
    want_maps = maps.want_cur or maps.want_volt
    sol = pairwise_solve(rg.graph, nodes, include=include, solver=method, rtol=rtol, executor=executor,
                         keep_region_voltages=want_maps)
    base = cfg.output_base()
    res.ids, res.resistances = ids, sol.R
    res.written.append(cio.write_resistance_matrix(Path(f"{base}_resistances.out"), ids, sol.R))
    res.written.append(cio.write_resistance_3columns(Path(f"{base}_resistances_3columns.out"), ids, sol.R))
    fast = None
    if maps.cum_only and not maps.want_volt and not maps.want_max and not any(len(c) > 1 for c in cells):
        fast = sol.cumulative_node_current()  # cumulative map straight from the n-1 solves
    if fast is not None:
        maps.cum = rg.paint(fast)
        maps.close()
    elif want_maps:
        for a, b, graph, volts, nm in pair_maps(rg, cells, nodes, sol):
            maps.add(f"_{ids[a]}_{ids[b]}", graph, volts, nm)
        maps.close()
    return res


def _merge_regions(rg: RasterGraph, nodes: list[np.ndarray], cells: list[np.ndarray]) -> tuple[RasterGraph, np.ndarray]:
    """Merge every focal region into one node (one-to-all / all-to-one); returns node per ID."""
    if all(len(c) <= 1 for c in cells):
        return rg, np.array([n[0] if len(n) else -1 for n in nodes], dtype=np.int64)
    groups = np.full(rg.graph.n_nodes, -1, dtype=np.int64)
    for k, n in enumerate(nodes):
        if len(n) > 1:
            groups[n] = k
    cg, remap = rg.graph.contract(groups)
    nm = np.where(rg.node_map >= 0, remap[np.maximum(rg.node_map, 0)], -1)
    flat = nm.ravel()
    for n, c in zip(nodes, cells):
        if len(n):
            flat[c] = remap[n[0]]
    node = np.array([remap[n[0]] if len(n) else -1 for n in nodes], dtype=np.int64)
    return RasterGraph(cg, nm), node


def _run_one_all(cfg, hab, rg, ids, cells, res, method, rtol, executor, pf, scen) -> RunResult:
    ids, cells, include = _include(cfg, ids, cells)
    nodes = _nodes_of(rg, cells)
    _warn_invalid(ids, nodes, pf)
    rg, node = _merge_regions(rg, nodes, cells)
    strengths = _strengths(cfg, ids)
    fn = one_to_all_solve if scen == "one-to-all" else all_to_one_solve
    values, solves = fn(rg.graph, node, strengths, include=include, solver=method, rtol=rtol, executor=executor)
    base = cfg.output_base()
    res.ids, res.resistances = ids, values
    res.written.append(cio.write_two_column(Path(f"{base}_resistances.out"), ids, values))
    maps = _Maps(cfg, hab, rg, res)
    if maps.want_cur or maps.want_volt:
        done = {a: (volts, gnd) for a, volts, gnd in solves}
        zero = np.zeros(rg.graph.n_nodes)
        for a in range(len(ids)):  # Circuitscape writes (all-zero) maps for unsolved IDs too
            volts, gnd = done.get(a, (zero, None))
            # an ID reported -1 (in no included pair) still gets its map, but Circuitscape
            # leaves it out of the cumulative map (allToOneVerify12)
            maps.add(f"_{ids[a]}", rg.graph, volts, rg.node_map, gnd, cumulative=values[a] != -1)
        maps.close()
    return res


def _node_values_from(cfg: CircuitConfig, key: str, hab: Raster, rg: RasterGraph, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell values of a source/ground input: (flat cell indices, values)."""
    p = cfg.path(key, required=True)
    assert p is not None
    if p.suffix.lower() == ".txt":
        vals, r, c = _text_points_to_cells(p, hab, what)
        return r * hab.shape[1] + c, vals
    ras = _read_aligned(p, hab, what)
    flat = np.flatnonzero(ras.valid.ravel())
    return flat, ras.values.ravel()[flat]


def _run_advanced(cfg, hab, rg, res, method, rtol) -> RunResult:
    n = rg.graph.n_nodes
    nm = rg.node_map.ravel()
    sc, sv = _node_values_from(cfg, "source_file", hab, rg, "source")
    keep = (sv != 0) & (nm[sc] >= 0)
    if cfg.flag("use_unit_currents"):
        sv = np.where(sv != 0, 1.0, 0.0)
    src = np.bincount(nm[sc[keep]], sv[keep], n)
    gc, gv = _node_values_from(cfg, "ground_file", hab, rg, "ground")
    if np.any(gv < 0):
        raise InputDataError("negative ground value", path=cfg.path("ground_file"))
    if cfg.flag("ground_file_is_resistances"):
        with np.errstate(divide="ignore"):
            gcond = np.where(gv == 0, np.inf, 1.0 / np.where(gv == 0, 1.0, gv))
    else:
        gcond = gv.copy()
    if cfg.flag("use_direct_grounds"):
        gcond = np.where(gcond > 0, np.inf, 0.0)
    keep = (gcond > 0) & (nm[gc] >= 0)
    gnd = np.zeros(n)
    inf_nodes = np.unique(nm[gc[keep & np.isinf(gcond)]])
    fin = keep & np.isfinite(gcond)
    gnd += np.bincount(nm[gc[fin]], gcond[fin], n)
    gnd[inf_nodes] = np.inf
    if not np.any(src != 0):
        raise InputDataError("no current source on a habitat cell", path=cfg.path("source_file"))
    if not np.any(gnd > 0):
        raise InputDataError("no ground on a habitat cell", path=cfg.path("ground_file"))
    policy = cfg["remove_src_or_gnd"].strip().lower()
    volts, s, g = advanced_solve(rg.graph, src, gnd, policy=policy, solver=method, rtol=rtol)
    maps = _Maps(cfg, hab, rg, res)
    if maps.want_cur:
        cur = maps.node_grid(node_currents(rg.graph, volts, g), rg.node_map)
        maps.write("curmap", cur, rg.node_map, maps.null_cur)
        res.maps["curmap"] = cur
    if cfg.flag("write_volt_maps"):
        vm = maps.node_grid(volts, rg.node_map)
        maps.write("voltmap", vm, rg.node_map, maps.null_volt)
        res.maps["voltmap"] = vm
    return res
