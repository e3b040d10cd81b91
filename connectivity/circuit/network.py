"""Circuitscape's network (graph) mode: edge lists instead of rasters.

Inputs number nodes with arbitrary integer IDs (Circuitscape's test files start at 0); outputs
use the same IDs as the input (Circuitscape.jl adds 1 to 0-based IDs; Circuitscape 4 and bigcats
do not).
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from genetics.errors import InputDataError

from . import io as cio
from .currents import branch_currents, node_currents
from .graph import Graph
from .ini import CircuitConfig
from .modes import advanced_solve, pairwise_solve

__all__ = ["read_network", "run_network"]


def read_network(path: Path, is_resistance: bool, reclass: np.ndarray | None = None) -> tuple[np.ndarray, Graph]:
    """Edge list ``node_i node_j value`` → (node IDs (sorted), Graph).

    *reclass* (rows ``old new``) is applied to the edge values first, row by row as
    Circuitscape 4's ``read_graph`` does; an edge reclassified to NaN is dropped.
    """
    t = cio.read_numeric_table(path, 3, "node node value")
    a = np.rint(t[:, 0]).astype(np.int64)
    b = np.rint(t[:, 1]).astype(np.int64)
    val = t[:, 2]
    if reclass is not None:
        val, kept = cio.reclassify(val, np.ones(len(val), bool), reclass)
        a, b, val = a[kept], b[kept], val[kept]
    bad = ~np.isfinite(val) | (val < 0) | ((val == 0) & is_resistance)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputDataError(f"edge value {val[k]:g} must be positive", path=path, line=k + 1)
    w = 1.0 / val if is_resistance else val.copy()
    ids = np.unique(np.concatenate([a, b]))
    u, v = np.searchsorted(ids, a), np.searchsorted(ids, b)
    keep = (u != v) & (w > 0)
    return ids, Graph(len(ids), u[keep], v[keep], w[keep])


def _node_index(ids: np.ndarray, q: np.ndarray) -> np.ndarray:
    pos = np.searchsorted(ids, q)
    pos = np.minimum(pos, len(ids) - 1)
    return np.where(ids[pos] == q, pos, -1)


def _branch_rows(ids, graph: Graph, cur: np.ndarray):
    a, b = ids[graph.u], ids[graph.v]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * (ids.max() + 1) + hi
    uk, inv = np.unique(key, return_inverse=True)
    tot = np.bincount(inv, np.abs(cur), len(uk))
    lo_u = uk // (ids.max() + 1)
    hi_u = uk % (ids.max() + 1)
    nz = tot >= 1e-6  # Circuitscape drops branches whose current is within 1e-6 of 0
    return lo_u[nz], hi_u[nz], tot[nz]


def run_network(cfg: CircuitConfig, *, method: str, rtol: float, executor: Executor | None):
    from .run import RunResult

    hp = cfg.path("habitat_file", required=True)
    reclass = cio.read_reclass_table(cfg.path("reclass_file", required=True)) if cfg.flag("use_reclass_table") else None
    ids, graph = read_network(hp, cfg.flag("habitat_map_is_resistances"), reclass)
    base = cfg.output_base()
    res = RunResult()
    want_cur = cfg.flag("write_cur_maps") or cfg.flag("write_cum_cur_map_only")
    want_volt = cfg.flag("write_volt_maps") and not cfg.flag("write_cum_cur_map_only")
    per_pair = not cfg.flag("write_cum_cur_map_only")
    scen = cfg.scenario
    if scen == "advanced":
        s = cio.read_numeric_table(cfg.path("source_file", required=True), 2, "node current")
        g = cio.read_numeric_table(cfg.path("ground_file", required=True), 2, "node ground")
        src = np.zeros(graph.n_nodes)
        si = _node_index(ids, np.rint(s[:, 0]).astype(np.int64))
        np.add.at(src, si[si >= 0], s[si >= 0, 1] if not cfg.flag("use_unit_currents") else 1.0)
        gi = _node_index(ids, np.rint(g[:, 0]).astype(np.int64))
        gv = g[gi >= 0, 1]
        if cfg.flag("ground_file_is_resistances"):
            with np.errstate(divide="ignore"):
                gc = np.where(gv == 0, np.inf, 1.0 / np.where(gv == 0, 1, gv))
        else:
            gc = gv
        if cfg.flag("use_direct_grounds"):
            gc = np.where(gc > 0, np.inf, 0.0)
        gnd = np.zeros(graph.n_nodes)
        np.add.at(gnd, gi[gi >= 0], gc)
        volts, s2, g2 = advanced_solve(graph, src, gnd, policy=cfg["remove_src_or_gnd"].strip().lower(),
                                       solver=method, rtol=rtol)
        if want_volt:
            res.written.append(cio.write_node_table(Path(f"{base}_voltages.txt"), ids, volts))
        if want_cur:
            nc = node_currents(graph, volts, g2)
            res.written.append(cio.write_node_table(Path(f"{base}_node_currents.txt"), ids, nc))
            res.written.append(cio.write_branch_table(Path(f"{base}_branch_currents.txt"),
                                                      *_branch_rows(ids, graph, branch_currents(graph, volts))))
        res.maps["voltages"] = volts
        return res
    if scen != "pairwise":
        raise InputDataError(f"network mode supports pairwise and advanced, not {scen}", path=cfg.source)
    fp = cfg.path("point_file", required=True)
    fids = np.rint(cio.read_numeric_table(fp, 1, "focal node")[:, 0]).astype(np.int64)
    fids = np.unique(fids)
    fnode = _node_index(ids, fids)
    nodes = [np.array([x]) if x >= 0 else np.array([], dtype=np.int64) for x in fnode]
    include = None
    if cfg.flag("use_included_pairs"):
        include = cio.include_matrix(cio.read_include_pairs(cfg.path("included_pairs_file", required=True)), fids)
    sol = pairwise_solve(graph, nodes, include=include, solver=method, rtol=rtol, executor=executor)
    res.ids, res.resistances = fids, sol.R
    res.written.append(cio.write_resistance_matrix(Path(f"{base}_resistances.out"), fids, sol.R))
    res.written.append(cio.write_resistance_3columns(Path(f"{base}_resistances_3columns.out"), fids, sol.R))
    if want_cur or want_volt:
        comps = graph.components()
        cum_node = np.zeros(graph.n_nodes)
        cum_branch = np.zeros(len(graph.u))
        for pv in sol.iter_voltages():
            tag = f"{fids[pv.a]}_{fids[pv.b]}"
            inc = comps == comps[fnode[pv.a]]
            if want_volt and per_pair:
                res.written.append(cio.write_node_table(Path(f"{base}_voltages_{tag}.txt"), ids[inc], pv.volts[inc]))
            if want_cur:
                nc = node_currents(graph, pv.volts)
                bc = branch_currents(graph, pv.volts)
                cum_node += nc
                cum_branch += np.abs(bc)
                if per_pair:
                    res.written.append(cio.write_node_table(Path(f"{base}_node_currents_{tag}.txt"), ids[inc], nc[inc]))
                    res.written.append(cio.write_branch_table(Path(f"{base}_branch_currents_{tag}.txt"),
                                                              *_branch_rows(ids, graph, bc)))
        if want_cur:
            res.written.append(cio.write_node_table(Path(f"{base}_node_currents_cum.txt"), ids, cum_node))
            res.written.append(cio.write_branch_table(Path(f"{base}_branch_currents_cum.txt"),
                                                      *_branch_rows(ids, graph, cum_branch)))
    return res
