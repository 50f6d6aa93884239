"""Balance metrics: weighted Gini/Theil against hand-worked values, decomposition, concentration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.analysis import balance
from geo.data.groups import central_codes, load_bydel_groups
from geo.errors import InputError
from geo.labels import BALANCE_HELP, BALANCE_LABELS
from geo.names import BYDEL_CODES


# ---------------------------------------------------------------------- Gini
def test_gini_two_units_hand_worked():
    # x = (1, 3), w = (1, 1): mu = 2; sum_ij w_i w_j |x_i - x_j| = 2 * |1 - 3| = 4;
    # G = 4 / (2 * W^2 * mu) = 4 / (2 * 4 * 2) = 0.25
    assert balance.weighted_gini([1, 3], [1, 1]) == pytest.approx(0.25)


def test_gini_weights_equal_repeated_values():
    # x = (0, 1), w = (3, 1) is the list (0, 0, 0, 1): mu = 1/4;
    # sum_ij = 2 * 3 * 1 * |0 - 1| = 6; G = 6 / (2 * 16 * 0.25) = 0.75 (= (n-1)/n for n = 4)
    assert balance.weighted_gini([0, 1], [3, 1]) == pytest.approx(0.75)
    assert balance.weighted_gini([0, 0, 0, 1]) == pytest.approx(0.75)


def test_gini_three_units_weighted_hand_worked():
    # x = (1, 2, 4), w = (2, 1, 1): W = 4, sum w x = 8, mu = 2.
    # pairs: (1,2): 2*1*1 = 2; (1,4): 2*1*3 = 6; (2,4): 1*1*2 = 2 -> sum over i<j = 10,
    # over all ordered pairs 20; G = 20 / (2 * 16 * 2) = 0.3125
    assert balance.weighted_gini([4, 1, 2], [1, 2, 1]) == pytest.approx(0.3125)


def test_gini_equal_and_all_zero_values_are_zero():
    assert balance.weighted_gini([0.4, 0.4, 0.4], [10, 20, 30]) == pytest.approx(0.0)
    assert balance.weighted_gini([0, 0, 0], [10, 20, 30]) == 0.0


def test_gini_rejects_negative_and_zero_weight_total():
    with pytest.raises(ValueError):
        balance.weighted_gini([-1, 2], [1, 1])
    with pytest.raises(ValueError):
        balance.weighted_gini([1, 2], [0, 0])


# ---------------------------------------------------------------------- Theil
def test_theil_two_units_hand_worked():
    # x = (1, 3), w = (1, 1): mu = 2, shares s = (1/4, 3/4);
    # T = 1/4 ln(1/2) + 3/4 ln(3/2) = -0.173287 + 0.304099 = 0.130812
    assert balance.weighted_theil([1, 3], [1, 1]) == pytest.approx(
        0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    )
    assert balance.weighted_theil([1, 3], [1, 1]) == pytest.approx(0.130812, abs=1e-6)


def test_theil_zero_values_use_0_ln_0_convention():
    # x = (0, 1), w = (3, 1): mu = 1/4; the zero unit has share 0 and adds 0 * ln 0 = 0;
    # the other has share 1: T = 1 * ln(1 / 0.25) = ln 4 (the maximum ln(W / w_k))
    assert balance.weighted_theil([0, 1], [3, 1]) == pytest.approx(math.log(4))


def test_theil_all_zero_is_zero():
    assert balance.weighted_theil([0, 0], [5, 7]) == 0.0


def test_theil_decomposition_hand_worked_and_sums_to_total():
    # groups a: x = (1, 3), w = (1, 1); b: x = (2, 2), w = (1, 1).
    # total value 8, W = 4, mu = 2. S_a = 4/8 = 1/2, S_b = 1/2; mu_a = mu_b = 2.
    # within = 1/2 * T_a + 1/2 * 0 with T_a = 0.130812 -> 0.065406; between = 0 (equal means)
    d = balance.theil_decomposition([1, 3, 2, 2], [1, 1, 1, 1], ["a", "a", "b", "b"])
    t_a = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert d.within == pytest.approx(0.5 * t_a)
    assert d.between == pytest.approx(0.0, abs=1e-12)
    assert d.total == pytest.approx(d.within + d.between)


def test_theil_decomposition_between_only_hand_worked():
    # a: x = (1, 1), b: x = (3, 3), all w = 1: within = 0;
    # S_a = 2/8 = 1/4, S_b = 3/4; between = 1/4 ln(1/2) + 3/4 ln(3/2) = 0.130812 = total
    d = balance.theil_decomposition([1, 1, 3, 3], None, ["a", "a", "b", "b"])
    assert d.within == pytest.approx(0.0, abs=1e-12)
    assert d.between == pytest.approx(0.130812, abs=1e-6)
    assert d.between_share == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_theil_within_plus_between_equals_total_random(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, 40) * (rng.random(40) > 0.2)  # some exact zeros
    w = rng.integers(1, 1000, 40)
    g = rng.choice(["Indre by", "Ytre øst", "Ytre vest", "Ytre sør"], 40)
    d = balance.theil_decomposition(x, w, g)
    assert d.total == pytest.approx(balance.weighted_theil(x, w))
    assert d.within + d.between == pytest.approx(d.total, rel=1e-10, abs=1e-12)
    assert d.within >= 0
    assert d.by_group["value_share"].sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------- Lorenz
def test_lorenz_endpoints_and_hand_worked_points():
    curve = balance.lorenz_curve([0, 1], [3, 1])
    assert curve.iloc[0].tolist() == [0.0, 0.0]
    assert curve.iloc[-1].tolist() == [1.0, 1.0]
    # the 75 % with value 0 hold 0 % of the value
    assert curve["cum_pop_share"].tolist() == pytest.approx([0, 0.75, 1])
    assert curve["cum_value_share"].tolist() == pytest.approx([0, 0, 1])


def test_lorenz_gini_is_twice_area_between_diagonal_and_curve():
    rng = np.random.default_rng(3)
    x, w = rng.uniform(0, 5, 30), rng.uniform(1, 10, 30)
    c = balance.lorenz_curve(x, w)
    area_under = np.trapezoid(c["cum_value_share"], c["cum_pop_share"])
    assert 1 - 2 * area_under == pytest.approx(balance.weighted_gini(x, w))


def test_lorenz_all_zero_is_diagonal():
    c = balance.lorenz_curve([0, 0, 0], [1, 2, 3])
    assert c["cum_value_share"].tolist() == pytest.approx(c["cum_pop_share"].tolist())


# ---------------------------------------------------------------------- concentration
def test_herfindahl_equal_shares_is_one_over_n_and_one_for_monopoly():
    assert balance.herfindahl([2, 2, 2, 2]) == pytest.approx(0.25)
    assert balance.herfindahl([2, 2, 2, 2], normalised=True) == pytest.approx(0.0)
    assert balance.herfindahl([0, 5, 0]) == pytest.approx(1.0)
    assert balance.herfindahl([0, 5, 0], normalised=True) == pytest.approx(1.0)
    # (3, 1): shares 0.75, 0.25 -> 0.5625 + 0.0625 = 0.625; normalised (0.625-0.5)/0.5 = 0.25
    assert balance.herfindahl([3, 1]) == pytest.approx(0.625)
    assert balance.herfindahl([3, 1], normalised=True) == pytest.approx(0.25)
    assert math.isnan(balance.herfindahl([0, 0]))


def test_location_quotient_hand_worked():
    services = pd.Series({"a": 3, "b": 1})
    population = pd.Series({"a": 100, "b": 300, "c": 100})
    lq = balance.location_quotient(services, population)
    # a: (3/4) / (100/500) = 3.75; b: (1/4) / (300/500) = 0.41667; c: 0
    assert lq["a"] == pytest.approx(3.75)
    assert lq["b"] == pytest.approx(0.25 / 0.6)
    assert lq["c"] == 0.0


def test_concentration_share_hand_worked():
    services = pd.Series({"a": 3, "b": 1, "c": 0})
    population = pd.Series({"a": 100, "b": 300, "c": 100})
    share = balance.concentration_share(services, population, ["a"])
    assert share.service_share == pytest.approx(0.75)
    assert share.population_share == pytest.approx(0.2)
    assert share.ratio == pytest.approx(3.75)


# ---------------------------------------------------------------------- groups file
def test_bydel_groups_file_covers_all_sixteen_bydeler():
    groups = load_bydel_groups()
    assert len(groups) == 16
    assert set(groups.index) == set(BYDEL_CODES) - {"030117"}
    assert set(groups) == {"Indre by", "Ytre øst", "Ytre vest", "Ytre sør"}
    assert central_codes(groups) == [
        "030101",
        "030102",
        "030103",
        "030104",
        "030105",
        "030116",
    ]


def test_bydel_groups_bad_file_names_row_and_column(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("bydel_code,group\n030101,Indre by\nFantasia,Ytre øst\n030101,Ytre sør\n")
    with pytest.raises(InputError) as err:
        load_bydel_groups(path)
    text = str(err.value)
    assert "groups.csv" in text and "Fantasia" in text
    assert "3" in text and "bydel_code" in text


def test_every_metric_has_bokmal_help():
    for key in BALANCE_LABELS:
        assert BALANCE_HELP[key].endswith(".")


# ---------------------------------------------------------------------- summary
def test_balance_summary_on_hand_table():
    table = pd.DataFrame(
        {
            "zone_code": ["030101", "030106", "030109", "030113", "0301"],
            "population": [100, 100, 100, 100, 400],
            "share_within_threshold": [1.0, 0.0, 0.0, 0.0, 0.25],
            "n_services": [4, 0, 0, 0, 4],
        }
    )
    summary = balance.balance_summary(table, "share_within_threshold").set_index("metric")
    values = summary["value"]
    # one of four equal units holds everything: G = 3/4, T = ln 4; all between groups
    assert values["gini"] == pytest.approx(0.75)
    assert values["theil"] == pytest.approx(math.log(4))
    assert values["theil_between"] == pytest.approx(math.log(4))
    assert values["theil_within"] == pytest.approx(0.0, abs=1e-12)
    assert values["herfindahl"] == pytest.approx(1.0)
    assert values["central_service_share"] == pytest.approx(1.0)
    assert values["central_population_share"] == pytest.approx(0.25)
    assert values["central_ratio"] == pytest.approx(4.0)
    assert summary["help"].str.len().min() > 10


def test_current_balance_on_real_oslo_data(study):
    from geo.analysis.balance import current_balance

    summary, table = current_balance(study, study.straight_engine(), 500)
    values = summary.set_index("metric")["value"]
    # central population share straight from the population file (bydeler with a polygon)
    pop = study.population.set_index("bydel_code")["population"]
    pop = pop[pop.index.isin(study.bydeler["bydel_code"])]
    inner = ["030101", "030102", "030103", "030104", "030105", "030116"]
    assert values["central_population_share"] == pytest.approx(pop[inner].sum() / pop.sum())
    # the Herfindahl index is recomputed from the per-bydel service counts
    counts = table.loc[table["zone_code"] != "0301", "n_services"].to_numpy(dtype=float)
    assert values["herfindahl"] == pytest.approx(((counts / counts.sum()) ** 2).sum())
    assert 0 <= values["gini"] < 1
    assert values["theil_within"] + values["theil_between"] == pytest.approx(values["theil"])


def test_cli_balance_json(capsys):
    import json

    from geo.cli.main import main

    assert main(["balance", "--cell", "250", "--measure", "median", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    metrics = {row["metric"]: row["value"] for row in payload["metrics"]}
    assert metrics["theil_within"] + metrics["theil_between"] == pytest.approx(metrics["theil"])
    assert payload["lorenz"][0] == {"cum_pop_share": 0.0, "cum_value_share": 0.0}
    assert payload["lorenz"][-1] == {"cum_pop_share": 1.0, "cum_value_share": 1.0}
