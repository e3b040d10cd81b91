"""Where corridors are needed: links between core areas ranked by importance and state.

For every link of a least-cost analysis this module gathers

* **importance** — the link's dPC (all of it connector fraction; Saura & Rubio 2010) and its
  current-flow centrality in the core network (Linkage Mapper's Centrality Mapper);
* **state** — the CWD : path-length ratio (mean resistance along the least-cost path; high =
  poor linkage; Linkage Mapper), the best Barrier Mapper score on the link (McRae et al. 2012;
  high = a restorable barrier cuts it) and, when effective resistances are given, the
  *pinch ratio* ``R_eff / (LCD / cell width)``: about 1 when all current squeezes through a
  one-cell-wide path and about ``1/w`` for a corridor w cells wide (so ``1 / pinch_ratio`` is
  an effective corridor width in cells — a heuristic summary of pinch points).

``priority = importance × need``, where ``importance`` is the mean percentile rank of dPC and
centrality and ``need`` the mean percentile rank of the state measures present (percentile
ranks in (0, 1], ties averaged). High priority = a link that matters for the network and is in
poor condition. This is a transparent screening score, not a published index: the table
carries every ingredient so a planner can re-weight them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .barriers import BarrierResult, barrier_scores
from .leastcost import LeastCostResult
from .network import CoreNetwork, current_flow_centrality, link_importance, network_from_matrices, node_importance

__all__ = ["LinkPriorities", "link_barrier_scores", "prioritise_links"]


@dataclass
class LinkPriorities:
    """Result of :func:`prioritise_links`.

    Attributes
    ----------
    links : DataFrame
        One row per link, ranked (column ``priority_rank``).
    nodes : DataFrame
        One row per core: dPC fractions, dIIC and current-flow centrality.
    network : CoreNetwork
    barriers : BarrierResult or None
        Scores over all links combined (max), when radii were given.
    """

    links: pd.DataFrame
    nodes: pd.DataFrame
    network: CoreNetwork
    barriers: BarrierResult | None = field(default=None, repr=False)


def link_barrier_scores(result: LeastCostResult, radii: list[float], **kwargs) -> tuple[np.ndarray, BarrierResult]:
    """Best Barrier Mapper score of every link of *result* and the combined (max) score map.

    Returns
    -------
    per_link : ndarray of float64, shape (n_links,)
        Maximum over cells and radii of the link's own improvement score.
    combined : BarrierResult
        All links combined by maximum.
    """
    grid = result.grid
    pos = {int(c): k for k, c in enumerate(result.core_ids)}
    pairs = [(pos[int(a)], pos[int(b)]) for a, b in zip(result.links["from"], result.links["to"])]
    combined = barrier_scores(result.cwd, result.lcd, pairs, radii, grid.cellsize, grid.valid, **kwargs)
    per = np.zeros(len(pairs))
    if pairs:
        best = combined.best_link
        s = np.where(np.isfinite(combined.score), combined.score, 0.0)
        # best score of each link = max over the cells where that link is the best one; a link
        # that is never the best anywhere gets its own (smaller) maximum computed separately
        for e in range(len(pairs)):  # loop over links (few)
            m = best == e
            if m.any():
                per[e] = float(s[m].max())
            else:
                own = barrier_scores(result.cwd, result.lcd, [pairs[e]], radii, grid.cellsize, grid.valid, **kwargs)
                per[e] = float(np.nanmax(own.score)) if np.isfinite(own.score).any() else 0.0
    return per, combined


def _pct_rank(x: pd.Series) -> pd.Series:
    x = pd.to_numeric(x, errors="coerce")
    if x.notna().sum() == 0:
        return pd.Series(np.nan, index=x.index)
    scale = float(np.nanmax(np.abs(x.to_numpy(dtype=np.float64)))) or 1.0
    x = (x / scale).round(9)  # rounding noise must not break ties
    return x.rank(method="average", pct=True)


def prioritise_links(
    result: LeastCostResult,
    *,
    attribute: np.ndarray | None = None,
    names: list[str] | None = None,
    median_km: float = 100.0,
    reff: np.ndarray | None = None,
    radii: list[float] | None = None,
    cost_unit_km: float = 1e-3,
) -> LinkPriorities:
    """Prioritised list of the links of a least-cost analysis.

    Parameters
    ----------
    result : LeastCostResult
        From :func:`connectivity.leastcost.least_cost_analysis` (its ``links`` are the network's links).
    attribute : ndarray, shape (n_cores,), optional
        Core attributes for dPC (default: core area in km² from the core cells is not known
        here, so 1 per core — give areas for meaningful intra/flux fractions).
    names : list of str, optional
        Core names in ``result.core_ids`` order.
    median_km : float
        Median dispersal distance (km of optimal habitat).
    reff : ndarray (n, n), optional
        Effective resistances between the cores (adds ``reff`` and ``pinch_ratio``; used as
        the link resistance for centrality, else the LCD is).
    radii : list of float, optional
        Barrier Mapper radii in map units (adds ``barrier_score``).

    Returns
    -------
    LinkPriorities
    """
    ids = np.asarray(result.core_ids)
    n = ids.size
    attr = np.ones(n) if attribute is None else np.asarray(attribute, dtype=np.float64)
    pairs = [(int(a), int(b)) for a, b in zip(result.links["from"], result.links["to"])]
    net = network_from_matrices(ids, attr, result.lcd, pairs=pairs, reff=reff, cost_unit_km=cost_unit_km,
                                names=names)
    li = link_importance(net, median_km)
    nodes = node_importance(net, median_km)
    cn, cl = current_flow_centrality(net)
    nodes["current_flow"] = cn["current_flow"].to_numpy()
    links = result.links.copy()
    key = list(zip(links["from"].astype(int), links["to"].astype(int)))
    li_map = {(int(a), int(b)): (p, d) for a, b, p, d in zip(li["from"], li["to"], li["probability"], li["dPC"])}
    cf_map = {(int(a), int(b)): c for a, b, c in zip(cl["from"], cl["to"], cl["current_flow"])}
    links["probability"] = [li_map.get(k, (np.nan, np.nan))[0] for k in key]
    links["dPC_connector"] = [li_map.get(k, (np.nan, np.nan))[1] for k in key]
    links["current_flow"] = [cf_map.get(k, np.nan) for k in key]
    if names is not None:
        nm = {int(i): s for i, s in zip(ids, names)}
        links.insert(2, "from_name", [nm[a] for a, _ in key])
        links.insert(3, "to_name", [nm[b] for _, b in key])
    pos = {int(c): k for k, c in enumerate(ids)}
    state_cols = ["cwd_to_path_ratio"]
    if reff is not None:
        width = result.grid.cellsize[0] if result.grid is not None else 1.0
        r = np.array([reff[pos[a], pos[b]] for a, b in key], dtype=np.float64)
        links["reff"] = r
        lcd_cells = links["cost_distance"].to_numpy(dtype=np.float64) / width
        links["pinch_ratio"] = np.where(lcd_cells > 0, r / lcd_cells, np.nan)
        state_cols.append("pinch_ratio")
    barriers = None
    if radii:
        per, barriers = link_barrier_scores(result, radii)
        links["barrier_score"] = per
        state_cols.append("barrier_score")
    importance = pd.concat([_pct_rank(links["dPC_connector"]), _pct_rank(links["current_flow"])], axis=1).mean(axis=1)
    need = pd.concat([_pct_rank(links[c]) for c in state_cols], axis=1).mean(axis=1)
    links["importance"] = importance
    links["need"] = need
    links["priority"] = importance * need
    links = links.sort_values(["priority", "dPC_connector", "from", "to"], ascending=[False, False, True, True],
                              kind="mergesort").reset_index(drop=True)
    links.insert(0, "priority_rank", np.arange(1, len(links) + 1))
    return LinkPriorities(links=links, nodes=nodes, network=net, barriers=barriers)
