"""The core-area network: graph connectivity indices (IIC, PC, dPC fractions) and centrality.

Nodes are core areas with an attribute ``a_i`` (area × optional habitat quality); edges are
the links of a least-cost / circuit analysis with a distance (least-cost distance) and a
resistance (least-cost distance or effective resistance) each.

Indices
-------
*Integral Index of Connectivity* (Pascual-Hortal & Saura 2006; Saura & Pascual-Hortal 2007)::

    IIC = sum_i sum_j  a_i a_j / (1 + nl_ij)  /  A_L**2

with ``nl_ij`` the number of links on the topologically shortest path between i and j over
the links present (``nl_ii = 0``; unreachable pairs contribute 0).

*Probability of Connectivity* (Saura & Pascual-Hortal 2007, Landscape and Urban Planning
83: 91-103)::

    PC = sum_i sum_j  a_i a_j p*_ij  /  A_L**2

with ``p*_ij`` the maximum-product probability over all paths of links (``p*_ii = 1``) and
the direct dispersal probability of a link given by a negative-exponential kernel of its
distance, ``p_ij = exp(-k d_ij)``, ``k = ln 2 / d50`` so that ``p = 0.5`` at the median
dispersal distance ``d50`` (the Conefor convention of fixing one distance–probability pair).
Since ``-log p`` is additive along a path, ``p*_ij = exp(-k D_ij)`` where ``D_ij`` is the
shortest path distance over the links — computed with ``scipy.sparse.csgraph``.

``A_L`` is the maximum landscape attribute (total landscape area). When it is not given, the
sum of the node attributes is used, so PC = 1 for a fully connected network of certain links;
the importance values ``dPC`` below do not depend on ``A_L``.

Importance of an element k (a node or a link), Saura & Rubio (2010, Ecography 33: 523-537)::

    dPC_k = 100 (PC - PC_remove_k) / PC  =  dPCintra_k + dPCflux_k + dPCconnector_k

* ``dPCintra_k = 100 a_k**2 / PCnum`` (connectivity inside the patch; 0 for links),
* ``dPCflux_k = 100 * 2 * sum_{i != k} a_i a_k p*_ik / PCnum`` (dispersal flux starting or
  ending in k, counted in both directions as in the double sum; 0 for links),
* ``dPCconnector_k = dPC_k - dPCintra_k - dPCflux_k`` (k's role as a stepping stone between
  other patches; the only fraction a link has),

with ``PCnum = sum_i sum_j a_i a_j p*_ij``. The same split is given for IIC (with
``1 / (1 + nl_ij)`` in place of ``p*_ij``).

Centrality
----------
Current-flow betweenness of cores and links (Brandes & Fleischer 2005; Newman 2005) with
networkx, link conductance = 1 / link resistance (least-cost distance, or effective
resistance). Linkage Mapper's Centrality Mapper (McRae 2012) computes the same quantity by
running Circuitscape in network mode with 1 A between every pair of cores and summing the
currents; networkx's unnormalised value counts a node's throughput over all pairs in which
it is not an end point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import csgraph_from_dense, shortest_path

from genetics.errors import InputDataError

__all__ = [
    "DispersalKernel",
    "DISPERSAL_KERNELS",
    "kernel_probability",
    "CoreNetwork",
    "network_from_matrices",
    "pc_index",
    "iic_index",
    "node_importance",
    "link_importance",
    "current_flow_centrality",
]


@dataclass(frozen=True)
class DispersalKernel:
    """A negative-exponential dispersal kernel fixed by its median dispersal distance.

    Attributes
    ----------
    species : str
    median_km : float
        Distance (km of optimal habitat, see :func:`network_from_matrices`) at which the
        dispersal probability is 0.5.
    source : str
        Where the number comes from, and what is assumed.
    """

    species: str
    median_km: float
    source: str

    @property
    def k(self) -> float:
        """Decay rate per km, ``ln 2 / median``."""
        return float(np.log(2.0) / self.median_km)


#: Per-species defaults. No study reports the *median* of a fitted dispersal kernel for these
#: cats; the values are expert assumptions anchored on the telemetry studies cited.
DISPERSAL_KERNELS: dict[str, DispersalKernel] = {
    "amur_tiger": DispersalKernel(
        "Amur tiger", 100.0,
        "ASSUMPTION anchored on Goodrich et al. 2010 (J. Mammal. 91: 737-748), radio-collared "
        "dispersers in Sikhote-Alin: males dispersed on the order of 100+ km, females a few tens "
        "of km (figures not re-checked offline: verify); 100 km chosen as a sex-pooled median."),
    "amur_leopard": DispersalKernel(
        "Amur leopard", 30.0,
        "ASSUMPTION: no Amur leopard dispersal study; African leopards (Fattebert et al. 2015, "
        "PLoS ONE 10: e0122355) dispersed 11.0 km (males, mean) and 2.7 km (females), with a "
        "record straight-line 194.5 km (Fattebert et al. 2013, S. Afr. J. Wildl. Res. 43: 61-67); "
        "30 km chosen for the lower prey density of the Russian Far East."),
    "snow_leopard": DispersalKernel(
        "snow leopard", 40.0,
        "ASSUMPTION: no published dispersal-distance distribution; GPS-collared snow leopards in "
        "Tost, Mongolia use home ranges of ~1,000 km2 or more (Snow Leopard Trust / Johansson et al.), "
        "so a disperser crosses several home-range diameters (~35 km each); 40 km chosen."),
}


def kernel_probability(distance: np.ndarray, median: float) -> np.ndarray:
    """Negative-exponential dispersal probability ``exp(-ln2 * d / median)``.

    Parameters
    ----------
    distance : ndarray of float, any shape
        Distances (inf = not connected, probability 0).
    median : float
        Distance with probability 0.5, same units as *distance*.

    Returns
    -------
    ndarray of float64, same shape
    """
    if not median > 0:
        raise InputDataError(f"median dispersal distance must be > 0, got {median}")
    d = np.asarray(distance, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(np.isfinite(d), np.exp(-np.log(2.0) * d / median), 0.0)


@dataclass
class CoreNetwork:
    """A core-area graph.

    Attributes
    ----------
    ids : ndarray of int64, shape (n,)
        Core ids.
    attribute : ndarray of float64, shape (n,)
        Node attribute a_i (area, or area × quality).
    links : ndarray of int64, shape (m, 2)
        Links as index pairs (i < j) into ``ids``.
    distance : ndarray of float64, shape (m,)
        Link distance used by the dispersal kernel (km of optimal habitat).
    resistance : ndarray of float64, shape (m,)
        Link resistance used for current-flow centrality (> 0).
    names : list of str, optional
        Core names for tables.
    """

    ids: np.ndarray
    attribute: np.ndarray
    links: np.ndarray
    distance: np.ndarray
    resistance: np.ndarray
    names: list[str] | None = field(default=None)

    @property
    def n(self) -> int:
        return int(self.ids.size)

    def distance_matrix(self, drop_node: int | None = None, drop_link: int | None = None) -> np.ndarray:
        """Dense (n, n) link-distance matrix, inf where there is no link (0 on the diagonal)."""
        D = np.full((self.n, self.n), np.inf)
        keep = np.ones(len(self.links), dtype=bool)
        if drop_link is not None:
            keep[drop_link] = False
        if drop_node is not None:
            keep &= (self.links[:, 0] != drop_node) & (self.links[:, 1] != drop_node)
        i, j = self.links[keep, 0], self.links[keep, 1]
        D[i, j] = np.minimum(D[i, j], self.distance[keep])
        D[j, i] = D[i, j]
        np.fill_diagonal(D, 0.0)
        return D


def network_from_matrices(
    ids: np.ndarray,
    attribute: np.ndarray,
    lcd: np.ndarray,
    *,
    pairs: list[tuple[int, int]] | None = None,
    reff: np.ndarray | None = None,
    cost_unit_km: float = 1e-3,
    names: list[str] | None = None,
) -> CoreNetwork:
    """Build a :class:`CoreNetwork` from pairwise matrices.

    Parameters
    ----------
    ids : ndarray of int, shape (n,)
    attribute : ndarray of float, shape (n,)
        Node attribute (area × quality), >= 0.
    lcd : ndarray of float, shape (n, n)
        Least-cost distances (cost units = resistance × map units); inf = not connected.
    pairs : list of (id, id), optional
        Links to include (default: every pair with a finite LCD).
    reff : ndarray of float, shape (n, n), optional
        Effective resistances; when given they are the links' resistance for centrality,
        otherwise the LCD is.
    cost_unit_km : float
        Factor turning cost units into kernel distance: with metres as map units and a
        resistance of 1 in optimal habitat, ``1e-3`` makes the kernel distance "km of optimal
        habitat" (ASSUMPTION: the resistance model gives 1 to the best habitat).
    names : list of str, optional
    """
    ids = np.asarray(ids, dtype=np.int64)
    a = np.asarray(attribute, dtype=np.float64)
    lcd = np.asarray(lcd, dtype=np.float64)
    n = ids.size
    if a.shape != (n,) or lcd.shape != (n, n):
        raise InputDataError(f"network needs {n} attributes and an {n}x{n} distance matrix")
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise InputDataError("core attributes (areas) must be finite and >= 0")
    pos = {int(c): k for k, c in enumerate(ids)}
    if pairs is None:
        idx = [(i, j) for i, j in combinations(range(n), 2) if np.isfinite(lcd[i, j])]
    else:
        idx = []
        for p, q in pairs:
            if int(p) not in pos or int(q) not in pos:
                raise InputDataError(f"link {p}-{q} names a core that is not in the network")
            i, j = sorted((pos[int(p)], pos[int(q)]))
            if i != j and np.isfinite(lcd[i, j]):
                idx.append((i, j))
    links = np.asarray(idx, dtype=np.int64).reshape(-1, 2)
    dist = lcd[links[:, 0], links[:, 1]] * cost_unit_km
    if reff is not None:
        res = np.asarray(reff, dtype=np.float64)[links[:, 0], links[:, 1]]
    else:
        res = lcd[links[:, 0], links[:, 1]]
    return CoreNetwork(ids=ids, attribute=a, links=links, distance=dist, resistance=res, names=names)


# --------------------------------------------------------------------------------------
# indices


def _best_distance(D: np.ndarray) -> np.ndarray:
    """All-pairs shortest path over a dense link-distance matrix (inf = no link)."""
    g = csgraph_from_dense(D, null_value=np.inf)
    return shortest_path(g, method="D", directed=False)


def _hops(D: np.ndarray) -> np.ndarray:
    g = csgraph_from_dense(D, null_value=np.inf)
    return shortest_path(g, method="D", directed=False, unweighted=True)


def _pc_num(a: np.ndarray, D: np.ndarray, median: float) -> float:
    p = kernel_probability(_best_distance(D), median)
    return float(a @ p @ a)


def _iic_num(a: np.ndarray, D: np.ndarray) -> float:
    nl = _hops(D)
    with np.errstate(divide="ignore"):
        w = np.where(np.isfinite(nl), 1.0 / (1.0 + nl), 0.0)
    return float(a @ w @ a)


def _area(net: CoreNetwork, landscape_area: float | None) -> float:
    A = float(net.attribute.sum()) if landscape_area is None else float(landscape_area)
    if not A > 0:
        raise InputDataError("landscape area (A_L) must be > 0")
    return A


def pc_index(net: CoreNetwork, median: float, landscape_area: float | None = None) -> float:
    """Probability of Connectivity (Saura & Pascual-Hortal 2007).

    Parameters
    ----------
    net : CoreNetwork
    median : float
        Median dispersal distance, units of ``net.distance``.
    landscape_area : float, optional
        A_L; default: the sum of the node attributes.
    """
    return _pc_num(net.attribute, net.distance_matrix(), median) / _area(net, landscape_area) ** 2


def iic_index(net: CoreNetwork, landscape_area: float | None = None) -> float:
    """Integral Index of Connectivity (Pascual-Hortal & Saura 2006) over the links present."""
    return _iic_num(net.attribute, net.distance_matrix()) / _area(net, landscape_area) ** 2


def _fractions(total: float, removed: np.ndarray, intra: np.ndarray, flux: np.ndarray) -> dict:
    d = 100.0 * (total - removed) / total if total > 0 else np.zeros_like(removed)
    intra = 100.0 * intra / total if total > 0 else np.zeros_like(removed)
    flux = 100.0 * flux / total if total > 0 else np.zeros_like(removed)
    connector = d - intra - flux
    connector = np.where(np.abs(connector) < 1e-9, 0.0, connector)  # rounding noise of a difference
    return {"d": d, "intra": intra, "flux": flux, "connector": connector}


def node_importance(net: CoreNetwork, median: float) -> pd.DataFrame:
    """dPC and dIIC of every core with their intra, flux and connector fractions (%).

    Removing node k removes its attribute and every link touching it (Saura & Rubio 2010).

    Returns
    -------
    DataFrame with columns ``id, name, attribute, dPC, dPC_intra, dPC_flux, dPC_connector,
    dIIC, dIIC_intra, dIIC_flux, dIIC_connector`` (one row per core).
    """
    a = net.attribute
    D = net.distance_matrix()
    pstar = kernel_probability(_best_distance(D), median)
    nl = _hops(D)
    with np.errstate(divide="ignore"):
        wiic = np.where(np.isfinite(nl), 1.0 / (1.0 + nl), 0.0)
    pc_num = float(a @ pstar @ a)
    iic_num = float(a @ wiic @ a)
    pc_rm = np.empty(net.n)
    iic_rm = np.empty(net.n)
    for k in range(net.n):  # loop over cores (few), never over cells
        ak = a.copy()
        ak[k] = 0.0
        Dk = net.distance_matrix(drop_node=k)
        pc_rm[k] = _pc_num(ak, Dk, median)
        iic_rm[k] = _iic_num(ak, Dk)
    intra = a ** 2
    off_p = pstar.copy()
    np.fill_diagonal(off_p, 0.0)
    off_w = wiic.copy()
    np.fill_diagonal(off_w, 0.0)
    flux_pc = 2.0 * a * (off_p @ a)
    flux_iic = 2.0 * a * (off_w @ a)
    fp = _fractions(pc_num, pc_rm, intra, flux_pc)
    fi = _fractions(iic_num, iic_rm, intra, flux_iic)
    return pd.DataFrame({
        "id": net.ids,
        "name": net.names if net.names is not None else [str(i) for i in net.ids],
        "attribute": a,
        "dPC": fp["d"], "dPC_intra": fp["intra"], "dPC_flux": fp["flux"], "dPC_connector": fp["connector"],
        "dIIC": fi["d"], "dIIC_intra": fi["intra"], "dIIC_flux": fi["flux"], "dIIC_connector": fi["connector"],
    })


def link_importance(net: CoreNetwork, median: float) -> pd.DataFrame:
    """dPC and dIIC of every link (%): a link has only a connector fraction (Saura & Rubio 2010).

    Returns
    -------
    DataFrame with columns ``from, to, distance, probability, dPC, dPC_connector, dIIC,
    dIIC_connector`` (one row per link, ``from``/``to`` are core ids).
    """
    a = net.attribute
    D = net.distance_matrix()
    pc_num = _pc_num(a, D, median)
    iic_num = _iic_num(a, D)
    m = len(net.links)
    pc_rm = np.empty(m)
    iic_rm = np.empty(m)
    for e in range(m):  # loop over links (few)
        De = net.distance_matrix(drop_link=e)
        pc_rm[e] = _pc_num(a, De, median)
        iic_rm[e] = _iic_num(a, De)
    dpc = 100.0 * (pc_num - pc_rm) / pc_num if pc_num > 0 else np.zeros(m)
    diic = 100.0 * (iic_num - iic_rm) / iic_num if iic_num > 0 else np.zeros(m)
    return pd.DataFrame({
        "from": net.ids[net.links[:, 0]], "to": net.ids[net.links[:, 1]],
        "distance": net.distance, "probability": kernel_probability(net.distance, median),
        "dPC": dpc, "dPC_connector": dpc, "dIIC": diic, "dIIC_connector": diic,
    })


def current_flow_centrality(net: CoreNetwork) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current-flow betweenness of cores and links (Centrality Mapper; Brandes & Fleischer 2005).

    As Linkage Mapper's Centrality Mapper runs Circuitscape in network mode: link conductance =
    1 / ``net.resistance``; for every pair of cores (s, t) in one connected component, 1 A is
    injected at s and taken out at t; the currents are summed over all pairs.

    * link value: sum over pairs of the absolute current on the link;
    * core value: sum over pairs *not ending at the core* of the current passing through it
      (half the sum of its links' absolute currents). This equals networkx's unnormalised
      ``current_flow_betweenness_centrality`` (tested).

    Returns
    -------
    nodes : DataFrame ``id, current_flow``
    links : DataFrame ``from, to, current_flow``
    """
    from scipy.sparse.csgraph import connected_components

    n, m = net.n, len(net.links)
    r = np.asarray(net.resistance, dtype=np.float64)
    if m and not np.all(np.isfinite(r) & (r > 0)):
        e = int(np.flatnonzero(~(np.isfinite(r) & (r > 0)))[0])
        raise InputDataError(f"link {net.ids[net.links[e, 0]]}-{net.ids[net.links[e, 1]]} has resistance "
                             f"{r[e]}: must be finite and > 0")
    g = 1.0 / r if m else np.zeros(0)
    u, w = (net.links[:, 0], net.links[:, 1]) if m else (np.zeros(0, int), np.zeros(0, int))
    A = np.zeros((n, n))
    np.add.at(A, (u, w), g)
    np.add.at(A, (w, u), g)
    _, comp = connected_components(A > 0, directed=False)
    node_c = np.zeros(n)
    edge_c = np.zeros(m)
    for c in np.unique(comp):  # loop over components of the core graph (few)
        idx = np.flatnonzero(comp == c)
        if idx.size < 2:
            continue
        sub = A[np.ix_(idx, idx)]
        Lp = np.linalg.pinv(np.diag(sub.sum(axis=1)) - sub)
        s, t = np.triu_indices(idx.size, 1)
        V = Lp[:, s] - Lp[:, t]  # potentials, one column per pair (s, t)
        local = np.full(n, -1)
        local[idx] = np.arange(idx.size)
        em = (local[u] >= 0) & (local[w] >= 0)
        I = g[em, None] * np.abs(V[local[u[em]]] - V[local[w[em]]])  # (links, pairs)
        edge_c[em] = I.sum(axis=1)
        through = np.zeros((idx.size, s.size))
        np.add.at(through, local[u[em]], I)
        np.add.at(through, local[w[em]], I)
        through *= 0.5
        through[s, np.arange(s.size)] = 0.0
        through[t, np.arange(s.size)] = 0.0
        node_c[idx] = through.sum(axis=1)
    nodes = pd.DataFrame({"id": net.ids, "current_flow": node_c})
    links = pd.DataFrame({"from": net.ids[u], "to": net.ids[w], "current_flow": edge_c})
    return nodes, links
