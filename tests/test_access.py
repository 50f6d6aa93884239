"""2SFCA accessibility: hand-worked examples and the supply-conservation property."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from geo import network as gn
from geo.analysis.access import access_by_zone, accessibility, decay_weight, two_step_fca
from geo.distance import StraightLineEngine

INF = np.inf
# three neighbourhoods (100, 200, 300 residents), two services (capacity 1 and 2)
P = np.array([100.0, 200.0, 300.0])
S = np.array([1.0, 2.0])
D = np.array([[0.0, INF], [500.0, 500.0], [INF, 0.0]])


def test_hand_worked_no_decay() -> None:
    # R1 = 1 / (100 + 200) = 1/300, R2 = 2 / (200 + 300) = 1/250
    A = two_step_fca(P, S, D, threshold_m=1000.0)
    np.testing.assert_allclose(A, [1 / 300, 1 / 300 + 1 / 250, 1 / 250])


def test_hand_worked_linear_decay() -> None:
    # W(0) = 1, W(500) = 0.5: R1 = 1 / (100 + 0.5·200) = 1/200, R2 = 2 / (0.5·200 + 300) = 1/200
    A = two_step_fca(P, S, D, threshold_m=1000.0, decay="linear")
    np.testing.assert_allclose(A, [1 / 200, 0.5 / 200 + 0.5 / 200, 1 / 200])


def test_threshold_cuts_pairs() -> None:
    # at 400 m the middle neighbourhood reaches nothing
    A = two_step_fca(P, S, D, threshold_m=400.0)
    np.testing.assert_allclose(A, [1 / 100, 0.0, 2 / 300])


def test_sparse_input_with_stored_zero_equals_dense() -> None:
    rows, cols = np.array([0, 1, 1, 2]), np.array([0, 0, 1, 1])
    vals = np.array([0.0, 500.0, 500.0, 0.0]) + 1e-9  # the engines' "stored means within"
    cost = sp.csr_array((vals, (rows, cols)), shape=(3, 2))
    for decay in (None, "linear", "gaussian"):
        np.testing.assert_allclose(
            two_step_fca(P, S, cost, 1000.0, decay), two_step_fca(P, S, D, 1000.0, decay)
        )


@pytest.mark.parametrize("decay", [None, "linear", "gaussian"])
def test_supply_is_conserved(decay: str | None) -> None:
    rng = np.random.default_rng(2)
    d = rng.uniform(0, 1500, (40, 7))
    weights = rng.uniform(0, 50, 40)
    cap = rng.uniform(0.5, 3, 7)
    A = two_step_fca(weights, cap, d, threshold_m=1000.0, decay=decay)
    reaches = (decay_weight(d, 1000.0, decay) > 0).T @ (weights > 0) > 0
    assert (weights * A).sum() == pytest.approx(cap[reaches].sum())


def test_decay_values() -> None:
    np.testing.assert_allclose(
        decay_weight(np.array([0, 500, 1000, 1001]), 1000.0, "linear"), [1, 0.5, 0, 0]
    )
    g = decay_weight(np.array([0.0, 1000.0]), 1000.0, "gaussian")
    np.testing.assert_allclose(g, [1.0, 0.0], atol=1e-12)
    mid = decay_weight(np.array([500.0]), 1000.0, "gaussian")[0]
    assert mid == pytest.approx((np.exp(-0.125) - np.exp(-0.5)) / (1 - np.exp(-0.5)))
    with pytest.raises(ValueError):
        decay_weight(np.array([1.0]), 1000.0, "cubic")


def test_bad_shapes_are_reported() -> None:
    with pytest.raises(ValueError, match="rader"):
        two_step_fca(P[:2], S, D, 1000.0)
    with pytest.raises(ValueError, match="kolonner"):
        two_step_fca(P, S[:1], D, 1000.0)


def test_by_bydel_is_weighted_mean() -> None:
    A = np.array([1 / 300, 11 / 1500, 1 / 250])
    table = access_by_zone(A, P, np.array(["030101", "030101", "030102"]))
    assert table["zone_code"].tolist() == ["030101", "030102", "0301"]
    assert table["zone"].tolist() == ["Gamle Oslo", "Grünerløkka", "Hele byen"]
    gamle = (100 / 300 + 200 * 11 / 1500) / 300 * 1e4
    np.testing.assert_allclose(table["access_per_10k"], [gamle, 1e4 / 250, 3 / 600 * 1e4])
    assert table["access_ratio_to_city"].iloc[-1] == pytest.approx(1.0)


def test_accessibility_with_network_and_straight_engines() -> None:
    x0, y0 = 597_000.0, 6_643_000.0
    # a street with a detour: demand and service 100 m apart in air, 300 m on foot
    xy = np.array([[0, 0], [0, 100], [100, 100], [100, 0]], float) + np.array([x0, y0])
    net = gn.WalkNetwork.from_edges(xy[:, 0], xy[:, 1], [0, 1, 2], [1, 2, 3])
    demand = xy[[0]]
    site = xy[[3]]
    walk = accessibility(gn.NetworkEngine(net, demand), np.array([50.0]), site, 200.0)
    air = accessibility(StraightLineEngine(demand), np.array([50.0]), site, 200.0)
    assert walk[0] == 0.0
    assert air[0] == pytest.approx(1 / 50)


def test_cli_access(capsys: pytest.CaptureFixture[str], data_dir: object) -> None:
    from geo.cli.main import main

    assert main(["access", "--decay", "gaussian", "--cell", "500", "--distance", "straight"]) == 0
    out = capsys.readouterr().out
    assert "2SFCA: terskel 500 m, avstandsvekting: gaussian" in out
    assert "Hele byen" in out and "luftlinje" in out
