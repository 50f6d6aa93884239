"""One planner's session without Streamlit: uploads, caches, map clicks, table edits, restore."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import settings
from geo.analysis.metrics import coverage_table
from geo.data.study import Study
from geo.scenarios import Scenario, ScenarioStore
from geo.workspace.candidates import CANDIDATE_COLUMNS
from geo.workspace.session import Session
from geo.workspace.settings import AnalysisSettings
from geo.workspace.uploads import read_upload

EXAMPLE = settings.PROJECT_ROOT / "data" / "candidates_example.csv"
GRORUD_T = (59.96111, 10.88139)  # lat, lon of the example site fiktiv-1 (Wikipedia)


def upload(session: Session, study, kind: str, name: str, data: bytes):
    return session.accept_upload(kind, name, read_upload(name, data, kind), study.bydeler)


def test_a_bad_upload_keeps_what_was_loaded(study) -> None:
    session = Session()
    good = upload(session, study, "candidates", EXAMPLE.name, EXAMPLE.read_bytes())
    assert good.level == "success" and "5 rader lest" in good.message
    before = session.candidates.copy()
    bad = upload(session, study, "candidates", "tom.csv", b"name;lat;lon\n")
    assert bad.level == "error" and "det du hadde fra før er beholdt" in bad.message
    pd.testing.assert_frame_equal(session.candidates, before)
    assert session.uploads["candidates"] is bad


def test_services_upload_merges_and_rebuilds_the_whatif(study) -> None:
    session = Session()
    analysis = AnalysisSettings(categories=("brukerrom",))
    engine = study.straight_engine()
    first = session.whatif(study, engine, analysis)
    assert session.whatif(study, engine, analysis) is first  # cached
    rows = (
        b"name;category;lat;lon;coord_quality\n"
        b"Testrom A (SYNTETISK);brukerrom;59.96111;10.88139;fiktiv\n"
    )
    status = upload(session, study, "services", "egne.csv", rows)
    assert status.level == "success"
    assert session.data_version == 1
    second = session.whatif(study, engine, analysis)
    assert second is not first
    city = second.baseline.set_index("zone_code").loc["0301"]
    assert (
        city["n_brukerrom"] == first.baseline.set_index("zone_code").loc["0301"]["n_brukerrom"] + 1
    )
    # a second upload adds to the first, it does not replace it
    upload(session, study, "services", "mer.csv", rows.replace(b"Testrom A", b"Testrom B"))
    assert len(session.extra_services) == 2
    expected = coverage_table(session.study(study), ["brukerrom"], 500.0, engine)
    np.testing.assert_allclose(
        session.whatif(study, engine, analysis).baseline["share_within_threshold"],
        expected["share_within_threshold"],
        rtol=1e-12,
    )


def test_user_data_becomes_a_weight_basis(study) -> None:
    session = Session()
    data = "bydel;besok\nGamle Oslo;120\nGrünerløkka;80\nSagene;-3\n".encode()
    status = upload(session, study, "userdata", "besok.csv", data)
    assert status.level == "success"
    assert session.weight_columns() == ["besok"]
    # the negative count is refused and never used as a weight
    assert any("Negativt antall" in m for m in status.problems["problem"])
    analysis = AnalysisSettings(categories=("brukerrom",), weight_basis="besok")
    weights = session.weights(study, analysis)
    by_bydel = pd.Series(weights).groupby(study.demand["zone_code"].to_numpy()).sum()
    assert by_bydel["030101"] == pytest.approx(120) and by_bydel["030102"] == pytest.approx(80)
    assert by_bydel.get("030103", 0.0) == 0.0
    whatif = session.whatif(study, study.straight_engine(), analysis)
    assert whatif.baseline.attrs["weight_basis"] == "brukerdata"
    assert session.balance(study, study.straight_engine(), whatif, analysis) is session.balance(
        study, study.straight_engine(), whatif, analysis
    )


def test_click_adds_moves_and_ignores_repeats(study) -> None:
    session = Session()
    assert session.click(*GRORUD_T, "add", study.bydeler, "brukerrom") is None
    assert session.candidates["id"].tolist() == ["K1"]
    # the map reports its last click on every run: the same point again changes nothing
    assert session.click(*GRORUD_T, "add", study.bydeler, "brukerrom") is None
    assert len(session.candidates) == 1
    assert session.click(59.91, 10.75, "move", study.bydeler, "brukerrom", move_id="K1") is None
    x, y = session.candidates.geometry.iloc[0].coords[0]
    assert 596_000 < x < 599_000 and 6_642_000 < y < 6_645_000
    warning = session.click(59.5, 10.0, "add", study.bydeler, "brukerrom")
    assert warning is not None and "utenfor Oslos bydeler" in warning
    assert session.click(59.92, 10.76, "none", study.bydeler, "brukerrom") is None
    assert len(session.candidates) == 1


def test_table_edits_rename_and_remove(study) -> None:
    session = Session()
    upload(session, study, "candidates", EXAMPLE.name, EXAMPLE.read_bytes())
    ids = session.candidates["id"].tolist()
    names = session.candidates.set_index("id")["name"].copy()
    names["K2"] = "Linderud\x07 (ny)"
    remove = pd.Series(False, index=ids)
    remove["K3"] = True
    assert session.edit_candidates(names, remove)
    frame = session.candidates.set_index("id")
    assert "K3" not in frame.index and frame.loc["K2", "name"] == "Linderud (ny)"
    assert not session.edit_candidates(frame["name"], pd.Series(False, index=frame.index))


def test_scenario_round_trip_restores_candidates_and_settings(study, tmp_path) -> None:
    session = Session()
    upload(session, study, "candidates", EXAMPLE.name, EXAMPLE.read_bytes())
    analysis = AnalysisSettings(categories=("brukerrom", "lasso"), threshold_m=750.0)
    store = ScenarioStore(tmp_path / "s.sqlite")
    saved = store.save(session.scenario("  Grorud\x00 og Holmlia ", "", analysis))
    assert saved.name == "Grorud og Holmlia" and saved.author == "ukjent"
    other = Session()
    restored = other.restore(store.load(saved.name))
    assert restored == analysis
    assert list(other.candidates.columns) == CANDIDATE_COLUMNS
    assert other.candidates["coord_quality"].tolist() == ["fiktiv"] * 5
    np.testing.assert_allclose(
        np.c_[other.candidates.geometry.x, other.candidates.geometry.y],
        np.c_[session.candidates.geometry.x, session.candidates.geometry.y],
        atol=1e-6,
    )


def test_restore_of_a_scenario_stored_without_quality(study) -> None:
    old = gpd.GeoDataFrame(
        {"id": ["K1"], "name": ["Gammel"], "category": ["brukerrom"], "source": ["klikk"]},
        geometry=[shapely.Point(597_700, 6_643_300)],
        crs=settings.ANALYSIS_CRS,
    )
    session = Session()
    restored = session.restore(Scenario("gammel", "", old, {"categories": None, "metric": "nope"}))
    assert restored == AnalysisSettings()
    assert session.candidates["coord_quality"].tolist() == ["brukeroppgitt"]


def test_remembered_views_are_computed_again_only_when_their_key_changes(study: Study) -> None:
    session = Session()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    key = ("settings", session.data_version, session.candidates_key())
    assert session.remembered("view", key, compute) == 1
    assert session.remembered("view", key, compute) == 1
    assert session.remembered("other view", key, compute) == 2
    # a candidate added: the key of a view that depends on candidates changes
    assert session.click(*GRORUD_T, "add", study.bydeler, "brukerrom") is None
    changed = ("settings", session.data_version, session.candidates_key())
    assert changed != key
    assert session.remembered("view", changed, compute) == 3
