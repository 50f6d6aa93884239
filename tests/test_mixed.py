"""Walking distance where the real OSM extracts reach the residents, straight line elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from geo.analysis.metrics import coverage_table
from geo.data.study import Study
from geo.distance import StraightLineEngine
from geo.network.build import study_engine
from geo.network.mixed import BASIS_NETWORK, MixedEngine

ST_HANSHAUGEN, GRUNERLOKKA, SONDRE_NORDSTRAND = "030104", "030102", "030115"


@pytest.fixture(scope="module")
def mixed(study: Study) -> MixedEngine:
    _, engine = study_engine(study, "network")
    assert isinstance(engine, MixedEngine), (
        "the real OSM extracts of the reference data are missing"
    )
    return engine


def test_reach_decides_per_bydel(mixed: MixedEngine, study: Study) -> None:
    reach = mixed.reach.set_index("zone_code")
    assert set(reach.index) == set(study.bydeler["bydel_code"])
    # The extracts cover the inner city: its core is measured along the streets ...
    for code in (ST_HANSHAUGEN, GRUNERLOKKA):
        assert reach.loc[code, "network_share"] >= 0.95
        assert reach.loc[code, "distance_basis"] == BASIS_NETWORK
    # ... the outer bydeler are not, and say so with the share the network reaches.
    assert reach.loc[SONDRE_NORDSTRAND, "network_share"] == 0.0
    assert reach.loc[SONDRE_NORDSTRAND, "distance_basis"].startswith(
        "luftlinje (gangnettet når bare 0 %"
    )
    assert "95 %" in mixed.note and "luftlinje" in mixed.note


def test_network_distance_is_never_shorter_than_the_straight_line(
    mixed: MixedEngine, study: Study
) -> None:
    sites = study.services.loc[study.services["category"] == "brukerrom"]
    site_xy = np.column_stack([sites.geometry.x, sites.geometry.y])
    dist = mixed.nearest(site_xy)
    line = StraightLineEngine(study.demand_xy).nearest(site_xy)
    on = mixed.use_network & np.isfinite(dist)
    assert on.sum() > 100
    assert np.all(dist[on] >= line[on] - 1e-6)
    # The streets add a real detour in the centre, not zero and not absurd.
    ratio = np.median(dist[on] / np.maximum(line[on], 1.0))
    assert 1.05 < ratio < 1.6
    # Where the network is not used, the answer is exactly the straight line.
    assert np.array_equal(dist[~mixed.use_network], line[~mixed.use_network])


def test_residents_are_never_moved(study: Study) -> None:
    same, _ = study_engine(study, "network")
    assert same is study


def test_exclude_policy_leaves_zones_out_with_the_reason(study: Study) -> None:
    _, engine = study_engine(study, "network", policy="exclude")
    assert isinstance(engine, MixedEngine)
    codes = study.demand["bydel_code"].to_numpy()
    assert engine.excluded[codes == SONDRE_NORDSTRAND].all()
    assert not engine.excluded[codes == ST_HANSHAUGEN].any()
    sites = study.services.loc[study.services["category"] == "brukerrom"]
    table = coverage_table(study, ["brukerrom"], 500, engine).set_index("zone_code")
    row = table.loc[SONDRE_NORDSTRAND]
    assert row["distance_basis"].startswith("utelatt")
    assert np.isnan(row["share_within_threshold"])
    assert table.loc[ST_HANSHAUGEN, "distance_basis"] == BASIS_NETWORK
    assert np.isfinite(
        engine.nearest(np.column_stack([sites.geometry.x, sites.geometry.y]))[
            codes == ST_HANSHAUGEN
        ]
    ).all()
