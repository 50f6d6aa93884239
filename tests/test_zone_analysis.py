"""Zones end to end: tables under every zone set, the centre, side by side, concentration, scenes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis.concentration import concentration
from geo.analysis.metrics import coverage_table
from geo.analysis.zone_compare import compare_zone_sets
from geo.cli.main import main
from geo.data.datasets import find_dataset
from geo.data.drug_scenes import load_drug_scenes, place_drug_scenes
from geo.data.study import Study
from geo.data.study_area import STUDY_AREAS, study_area
from geo.data.zones import FORSLAG_A_LABEL, load_zone_set
from geo.names import CITY_CODE
from geo.network.build import load_walk_network, network_dirs, network_sources, study_engine

TOTAL_2026 = 728_714 - 1_683 - 2_170  # SSB 1.1.2026 less Marka and unknown bydel (not placed)


def _total(table: pd.DataFrame) -> pd.Series:
    return table[table["zone_code"] == CITY_CODE].iloc[0]


@pytest.fixture(scope="module")
def forslag(study: Study) -> Study:
    return study.with_zones(load_zone_set("forslag-a", study.delbydeler))


def test_delbydel_table_has_97_rows_and_the_city(study: Study) -> None:
    table = coverage_table(study.with_zones(load_zone_set("delbydel", study.delbydeler)))
    assert len(table) == 98 and table["zone"].iloc[-1] == "Hele byen"
    assert table["population"].iloc[:-1].sum() == pytest.approx(TOTAL_2026)
    assert (table["population"].iloc[:-1] > 0).all()  # every delbydel has residents


def test_proposal_a_six_bydeler_and_unassigned_centre(forslag: Study) -> None:
    table = coverage_table(forslag, ["brukerrom"])
    assert table["zone"].tolist()[:6] == [f"Bydel {k}" for k in range(1, 7)]
    assert table["zone"].iloc[6] == "Ikke tildelt (Sentrum)"
    assert table["population"].iloc[:-1].sum() == pytest.approx(TOTAL_2026)
    assert _total(table)["population"] == pytest.approx(TOTAL_2026)
    assert FORSLAG_A_LABEL in table.attrs["zone_provenance"]
    assert table.attrs["zone_noun"] == "bydeler"
    # services aggregate too: every located service lies in exactly one zone
    assert table["n_services"].iloc[:-1].sum() == _total(table)["n_services"] == 1


def test_centre_study_area_on_the_real_network(study: Study) -> None:
    area = STUDY_AREAS["sentrum"]
    centre = study.with_zones(load_zone_set("delbydel", study.delbydeler), area)
    assert set(centre.demand["bydel_code"]) == set(area.bydel_codes)
    assert len(centre.zones) == 28
    _, engine = study_engine(centre, "network")
    table = coverage_table(centre, ["brukerrom"], 500.0, engine)
    assert _total(table)["zone"] == "Hele området"
    population = study.population.set_index("bydel_code")["population"]
    assert _total(table)["population"] == pytest.approx(population[list(area.bydel_codes)].sum())
    assert (table["distance_basis"] == "gangnett").sum() >= 25  # the extracts cover the centre
    assert engine.network_share > 0.95
    assert "Studieområde: Sentrum og sentrumsbydelene" in table.attrs["study_area"]


def test_own_study_area_adds_frogner() -> None:
    area = study_area(
        "sentrum", ["Sentrum", "Gamle Oslo", "Grünerløkka", "St. Hanshaugen", "Sagene", "Frogner"]
    )
    assert area.key == "egen" and "030105" in area.bydel_codes
    with pytest.raises(ValueError, match="Ukjent bydel «Atlantis»"):
        study_area("egen", ["Atlantis"])


def test_side_by_side_names_zones_without_service(study: Study, forslag: Study) -> None:
    cases = [(s, s.straight_engine()) for s in (study, forslag)]
    comparison = compare_zone_sets(cases, ["brukerrom"], 500.0, 4.5)
    assert comparison.names == ["Bydeler i dag", "Forslag A"]
    assert (
        "Bydel 1" in comparison.without_service[1]
        and "Bydel 3" not in comparison.without_service[1]
    )
    assert len(comparison.without_service[0]) == 15  # one brukerrom: every other bydel has none
    gini = comparison.balance.set_index("metric").loc["gini"]
    assert 0 < gini["Forslag A"] < 1 and 0 < gini["Bydeler i dag"] < 1
    long = comparison.side_by_side()
    assert set(long["zone_set"]) == set(comparison.labels) and len(long) == 17 + 8


@pytest.fixture(scope="module")
def scenes():
    paths = network_sources(network_dirs()[0])
    return place_drug_scenes(load_drug_scenes(find_dataset("open_drug_scenes")), paths)


def test_every_named_scene_is_placed_on_osm_geometry(scenes) -> None:
    assert len(scenes) == 7
    assert not (scenes.geometry.isna() | scenes.geometry.is_empty).any()
    assert scenes["placed_from"].str.contains("OpenStreetMap").all()
    akerselva = scenes.set_index("area").geometry["Nedre del av Akerselva"]
    brugata = scenes.set_index("area").geometry["Brugata/Storgata"]
    # the lower Akerselva runs from Nybrua (Storgata, a few hundred metres from Brugata) down
    north_end = max(shapely.get_coordinates(akerselva), key=lambda c: c[1])
    assert shapely.Point(north_end).distance(brugata) < 500
    assert 800 < akerselva.length < 2_500


def test_concentration_in_the_centre_and_a_candidate(study: Study, scenes) -> None:
    centre = study.with_zones(load_zone_set("delbydel", study.delbydeler), STUDY_AREAS["sentrum"])
    cats = ["brukerrom", "helsetilbud", "moteplass"]
    # a hypothetical site at the centre of Kristparken (a fictitious candidate for the test)
    park = scenes.set_index("area").geometry["Kristparken"].representative_point()
    candidates = __import__("geopandas").GeoDataFrame(
        {"name": ["FIKTIV kandidat"]}, geometry=[park], crs=centre.services.crs
    )
    result = concentration(centre, cats, scenes, candidates, load_walk_network())
    m = result.measures.set_index("metric")
    assert m.loc["n_zones", "today"] == 28
    assert m.loc["n_services", "with_candidates"] == m.loc["n_services", "today"] + 1
    assert 0 < m.loc["herfindahl_normalised", "today"] <= 1
    assert m.loc["zones_with_service", "change"] in (0, 1)
    table = result.scenes.set_index("area")
    assert table.loc["Urtegata (utenfor Fyrlyset)", "straight_m_today"] < 50  # Fyrlyset is there
    assert table.loc["Kristparken", "straight_m_with"] == 0.0
    walked = table["walk_m_today"].dropna()
    assert len(walked) >= 6 and (walked >= table.loc[walked.index, "straight_m_today"] - 1e-6).all()
    assert "åpningstidene" in result.notes[0]


def test_cli_zone_commands(capsys: pytest.CaptureFixture[str], data_dir: object) -> None:
    assert main(["bydel-report", "--zones", "forslag-a", "--categories", "brukerrom"]) == 0
    out = capsys.readouterr().out
    assert "Forslag A (høring 2025), ikke vedtatt – 6 bydeler + ikke tildelt (Sentrum)" in out
    assert "Ikke tildelt (Sentrum)" in out
    assert main(["compare-zones", "--categories", "brukerrom", "--format", "json"]) == 0
    assert '"Forslag A"' in capsys.readouterr().out
    assert main(["bydel-report", "--zones", "no-such-zones"]) == 2
    assert "verken en kjent soneinndeling" in capsys.readouterr().err
    assert np.isfinite(TOTAL_2026)
