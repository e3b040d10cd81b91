"""Core-area network indices against hand computations, and centrality against networkx.

Hand computation (the graph used below)
---------------------------------------
Three cores with attributes a = (1, 2, 3) on a path 1 - 2 - 3: links 1-2 and 2-3, each of
distance 1 km, median dispersal distance 1 km, so each link has p = 0.5 and, through core 2,
p*_13 = 0.5 * 0.5 = 0.25 (p*_ii = 1).

PC numerator = sum_i sum_j a_i a_j p*_ij
             = (1 + 4 + 9)                              diagonal
               + 2 (1*2*0.5 + 2*3*0.5 + 1*3*0.25)       off-diagonal, both orders
             = 14 + 2 * 4.75 = 23.5;  PC = 23.5 / A_L^2 (A_L = 6 -> 0.65278; A_L = 10 -> 0.235).
IIC: nl_12 = nl_23 = 1, nl_13 = 2 -> weights 1/2, 1/2, 1/3:
             = 14 + 2 (2/2 + 6/2 + 3/3) = 24;  IIC = 24 / 36 = 2/3.
Removing core 2: numerator 1 + 9 = 10 -> dPC_2 = 100 * 13.5 / 23.5 = 57.447 %, of which
  intra = 100 * 4 / 23.5 = 17.021 %, flux = 100 * 2 * 2 (1*0.5 + 3*0.5) / 23.5 = 34.043 %,
  connector = 100 * 2 (1*3*0.25) / 23.5 = 6.383 % (the 1-3 flux that went through core 2).
Removing core 1: numerator 4 + 9 + 2*6*0.5 = 19 -> dPC_1 = 100 * 4.5 / 23.5 = 19.149 %,
  intra 100/23.5 = 4.255 %, flux 100 * 2 (2*0.5 + 3*0.25) / 23.5 = 14.894 %, connector 0.
Removing link 1-2: numerator 14 + 2*6*0.5 = 20 -> dPC = 100 * 3.5 / 23.5 = 14.894 %, all connector.
IIC, removing core 2: 10 -> dIIC = 100*14/24 = 58.333 %: intra 4/24, flux 2*2*(1/2+3/2)/24 = 8/24,
  connector 2*1*3/3 / 24 = 2/24 = 8.333 %.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from connectivity.network import (
    DISPERSAL_KERNELS,
    CoreNetwork,
    current_flow_centrality,
    iic_index,
    kernel_probability,
    link_importance,
    network_from_matrices,
    node_importance,
    pc_index,
)
from genetics.errors import InputDataError


def _path_net(extra_link: float | None = None) -> CoreNetwork:
    links = [[0, 1], [1, 2]]
    dist = [1.0, 1.0]
    if extra_link is not None:
        links.append([0, 2])
        dist.append(extra_link)
    return CoreNetwork(ids=np.array([1, 2, 3]), attribute=np.array([1.0, 2.0, 3.0]),
                       links=np.array(links), distance=np.array(dist), resistance=np.array(dist))


def test_kernel_median():
    assert kernel_probability(np.array([0.0, 10.0, 20.0, np.inf]), 10.0) == pytest.approx([1, 0.5, 0.25, 0])
    for k in DISPERSAL_KERNELS.values():
        assert k.median_km > 0 and k.source
    with pytest.raises(InputDataError):
        kernel_probability(np.array([1.0]), 0.0)


def test_pc_iic_hand_computed():
    net = _path_net()
    assert pc_index(net, 1.0) == pytest.approx(23.5 / 36)
    assert pc_index(net, 1.0, landscape_area=10.0) == pytest.approx(0.235)
    assert iic_index(net) == pytest.approx(24 / 36)


def test_dpc_fractions_hand_computed():
    t = node_importance(_path_net(), 1.0).set_index("id")
    assert t.loc[2, "dPC"] == pytest.approx(100 * 13.5 / 23.5)
    assert t.loc[2, "dPC_intra"] == pytest.approx(100 * 4 / 23.5)
    assert t.loc[2, "dPC_flux"] == pytest.approx(100 * 8 / 23.5)
    assert t.loc[2, "dPC_connector"] == pytest.approx(100 * 1.5 / 23.5)
    assert t.loc[1, "dPC"] == pytest.approx(100 * 4.5 / 23.5)
    assert t.loc[1, "dPC_intra"] == pytest.approx(100 / 23.5)
    assert t.loc[1, "dPC_flux"] == pytest.approx(100 * 3.5 / 23.5)
    assert t.loc[1, "dPC_connector"] == pytest.approx(0.0, abs=1e-9)
    assert t.loc[2, "dIIC"] == pytest.approx(100 * 14 / 24)
    assert t.loc[2, "dIIC_intra"] == pytest.approx(100 * 4 / 24)
    assert t.loc[2, "dIIC_flux"] == pytest.approx(100 * 8 / 24)
    assert t.loc[2, "dIIC_connector"] == pytest.approx(100 * 2 / 24)
    links = link_importance(_path_net(), 1.0)
    row = links[(links["from"] == 1) & (links["to"] == 2)].iloc[0]
    assert row["dPC"] == pytest.approx(100 * 3.5 / 23.5)
    assert row["dPC_connector"] == row["dPC"]
    assert row["probability"] == pytest.approx(0.5)


def test_best_path_probability_beats_direct_link():
    # a direct 1-3 link of 3 km has p = 0.125 < 0.25 through core 2: it changes nothing
    net = _path_net(extra_link=3.0)
    assert pc_index(net, 1.0) == pytest.approx(23.5 / 36)
    links = link_importance(net, 1.0)
    row = links[(links["from"] == 1) & (links["to"] == 3)].iloc[0]
    assert row["dPC"] == pytest.approx(0.0, abs=1e-12)
    # but it keeps 1-3 connected at p = 0.125 when core 2 goes: connector of 2 shrinks
    t = node_importance(net, 1.0).set_index("id")
    assert t.loc[2, "dPC_connector"] == pytest.approx(100 * 2 * 3 * (0.25 - 0.125) / 23.5)


def test_network_from_matrices_units_and_pairs():
    lcd = np.array([[0, 2000.0, np.inf], [2000.0, 0, 4000.0], [np.inf, 4000.0, 0]])
    net = network_from_matrices(np.array([5, 6, 7]), np.array([1.0, 1.0, 1.0]), lcd)
    assert net.links.tolist() == [[0, 1], [1, 2]]
    assert net.distance.tolist() == [2.0, 4.0]  # cost units (m) -> km of optimal habitat
    net2 = network_from_matrices(np.array([5, 6, 7]), np.ones(3), lcd, pairs=[(6, 7)])
    assert net2.links.tolist() == [[1, 2]]
    with pytest.raises(InputDataError):
        network_from_matrices(np.array([5, 6, 7]), np.ones(3), lcd, pairs=[(5, 9)])
    with pytest.raises(InputDataError):
        network_from_matrices(np.array([5, 6, 7]), np.array([1.0, -1.0, 1.0]), lcd)


def test_centrality_hand_and_networkx():
    nodes, links = current_flow_centrality(_path_net())
    # path 1-2-3, unit resistances: pair (1,3) sends its 1 A through core 2
    assert nodes.set_index("id")["current_flow"].tolist() == pytest.approx([0.0, 1.0, 0.0])
    # link 1-2 carries 1 A for the pairs (1,2) and (1,3)
    assert links["current_flow"].tolist() == pytest.approx([2.0, 2.0])

    rng = np.random.default_rng(3)
    n = 8
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.5])
    r = rng.uniform(0.5, 3.0, len(pairs))
    net = CoreNetwork(ids=np.arange(1, n + 1), attribute=np.ones(n), links=pairs, distance=r, resistance=r)
    nodes, links = current_flow_centrality(net)
    G = nx.Graph()
    for (i, j), x in zip(pairs, r):
        G.add_edge(int(i), int(j), weight=1.0 / x)
    ref = nx.current_flow_betweenness_centrality(G, normalized=False, weight="weight")
    assert nodes["current_flow"].to_numpy() == pytest.approx([ref[k] for k in range(n)], rel=1e-9)
    eref = nx.edge_current_flow_betweenness_centrality(G, normalized=False, weight="weight")
    # networkx's unnormalised edge value is half the current summed over pairs
    got = links["current_flow"].to_numpy()
    want = np.array([eref.get((i, j), eref.get((j, i))) for i, j in pairs]) * 2
    assert got == pytest.approx(want, rel=1e-9)


def test_centrality_disconnected_and_bad_resistance():
    net = CoreNetwork(ids=np.array([1, 2, 3, 4]), attribute=np.ones(4), links=np.array([[0, 1]]),
                      distance=np.array([1.0]), resistance=np.array([2.0]))
    nodes, links = current_flow_centrality(net)
    assert nodes["current_flow"].tolist() == [0, 0, 0, 0]
    assert links["current_flow"].tolist() == pytest.approx([1.0])
    net.resistance = np.array([0.0])
    with pytest.raises(InputDataError):
        current_flow_centrality(net)


def test_isolated_cores_only_intra():
    net = CoreNetwork(ids=np.array([1, 2]), attribute=np.array([1.0, 1.0]), links=np.zeros((0, 2), int),
                      distance=np.zeros(0), resistance=np.zeros(0))
    t = node_importance(net, 10.0)
    assert t["dPC"].tolist() == pytest.approx([50.0, 50.0])
    assert t["dPC_flux"].tolist() == pytest.approx([0.0, 0.0])
    assert isinstance(link_importance(net, 10.0), pd.DataFrame)
