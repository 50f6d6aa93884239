"""Unit tests for geo.workspace (until now reached only through the browser tests).

Real reference data: the ``study`` fixture (250 m demand points) with the straight-line engine.
Numbers are checked against a from-scratch :func:`geo.metrics.coverage_table` and, for the
headline values, pinned as today's literals (update them only if the reference data changes).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from pyproj import Transformer

from geo import settings
from geo import workspace as ws
from geo.analysis.metrics import coverage_table
from geo.cli import main
from geo.data.services import load_candidates
from geo.geom import parse_point_text, xy_of
from geo.labels import SUMMARY_LABELS

ROOT = Path(__file__).resolve().parents[1]
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
OSLO_S = TO_UTM.transform(10.7528, 59.9111)  # (lon, lat) -> (E, N), the point typed below
DRAMMEN = TO_UTM.transform(10.2045, 59.7439)  # near Oslo, but in no Oslo bydel


# ====================================================================== parse_point_text
@pytest.mark.parametrize(
    "text",
    [
        "59.9111, 10.7528",
        "10.7528, 59.9111",  # either order: Oslo's latitude and longitude ranges can't be confused
        "59,9111, 10,7528",  # decimal commas
        "59,9111 10,7528",
        "59.9111,10.7528",
        "59.9111;10.7528",
        " 59.9111 , 10.7528 ",
        "59.9111 N 10.7528 E",
        "59, 9111, 10, 7528",  # four numbers and a comma: read as two decimal-comma numbers
        "59.9111,10,7528",
    ],
)
def test_parse_point_text_lat_lon(text) -> None:
    x, y = parse_point_text(text)
    assert (x, y) == pytest.approx(OSLO_S, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("597700 6643300", (597700.0, 6643300.0)),
        ("6643300 597700", (597700.0, 6643300.0)),  # north, east is swapped back
        ("597700.5 6643300.25", (597700.5, 6643300.25)),
        ("597700,5 6643300,25", (597700.5, 6643300.25)),
        ("597700,6643300", (597700.0, 6643300.0)),  # the CLI's X,Y form: two whole numbers
        ("6643300,597700", (597700.0, 6643300.0)),
    ],
)
def test_parse_point_text_utm(text, expected) -> None:
    assert parse_point_text(text) == expected


def test_parse_point_text_near_oslo_is_not_checked_against_the_bydeler(bydeler) -> None:
    # the parser only checks "near Oslo"; add_candidate rejects points outside every bydel
    assert parse_point_text("59.7439, 10.2045") == pytest.approx(DRAMMEN, abs=1e-6)
    with pytest.raises(ValueError, match="utenfor Oslos bydeler"):
        ws.add_candidate(ws.empty_candidates(), *DRAMMEN, bydeler)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "«abc» er ikke to tall. Skriv f.eks. «59.9111, 10.7528»"),
        ("1 2 3", "«1 2 3» er ikke to tall"),
        ("", "«» er ikke to tall"),
        ("1,2", "«1,2» er ikke to tall"),  # read as the one number 1.2
        ("48.8566, 2.3522", "ligger ikke i nærheten av Oslo som bredde/lengde eller UTM 32"),
        ("-59.9, 10.75", "ligger ikke i nærheten av Oslo"),
        ("1000 2000", "ligger ikke i nærheten av Oslo"),
        ("500000 7000000", "ligger ikke i nærheten av Oslo"),  # UTM-like, but far from Oslo
    ],
)
def test_parse_point_text_errors_are_bokmal(text, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_point_text(text)


def test_parse_point_text_utm33_is_converted() -> None:
    # the same point (Oslo S) in EUREF89 UTM 33, as SSB's grids give it
    x33, y33 = pyproj.Transformer.from_crs("EPSG:25832", "EPSG:25833", always_xy=True).transform(
        *OSLO_S
    )
    assert parse_point_text(f"{x33:.2f} {y33:.2f}") == pytest.approx(OSLO_S, abs=0.01)
    assert parse_point_text(f"{y33:.2f} {x33:.2f}") == pytest.approx(OSLO_S, abs=0.01)


def test_the_cli_reads_typed_points_like_the_app(capsys) -> None:
    """``whatif --add`` takes the app's parser: lat,lon, lon,lat and UTM give the same scenario."""
    rows = []
    for text in ("59.9111, 10.7528", "10.7528, 59.9111", "597700 6643300"):
        args = ["whatif", "--add", text, "--cell", "500", "--format", "json"]
        assert main(args) == 0
        rows.append(json.loads(capsys.readouterr().out)["rows"])
    assert rows[0] == rows[1]
    city = next(r for r in rows[0] if r["zone_code"] == "0301")
    other = next(r for r in rows[2] if r["zone_code"] == "0301")
    # 597700 6643300 lies ~150 m from Oslo S: same order of new coverage, not the same point
    assert other["residents_within_threshold"] == pytest.approx(
        city["residents_within_threshold"], rel=0.5
    )
    assert main(["whatif", "--add", "48.8566, 2.3522", "--cell", "500"]) == 2
    assert "ligger ikke i nærheten av Oslo" in capsys.readouterr().err


# ====================================================================== candidates
@pytest.fixture(scope="module")
def example_sites() -> gpd.GeoDataFrame:
    loaded = load_candidates(ROOT / "data" / "candidates_example.csv")
    assert loaded.problems == []
    return loaded.frame


@pytest.fixture(scope="module")
def grorud_holmlia(example_sites) -> np.ndarray:
    """Grorud T and Holmlia stasjon, from their lat/lon in the example file, rounded to 1 m."""
    rows = example_sites.set_index("id").loc[["fiktiv-1", "fiktiv-3"]].to_crs(settings.ANALYSIS_CRS)
    xy = np.column_stack([rows.geometry.x, rows.geometry.y])
    expected = np.array(
        [TO_UTM.transform(10.88139, 59.96111), TO_UTM.transform(10.79694, 59.83472)]
    )
    np.testing.assert_allclose(xy, expected, atol=1e-6)
    return np.round(xy)  # whole metres, so sub-decimetre noise never crosses a rounding edge


def test_add_candidate_ids_names_and_columns(study, grorud_holmlia) -> None:
    empty = ws.empty_candidates()
    assert list(empty.columns) == ws.CANDIDATE_COLUMNS and len(empty) == 0
    one = ws.add_candidate(empty, *grorud_holmlia[0], study.bydeler, name="Grorud\x07 T\n\t")
    assert len(empty) == 0  # the input is not changed
    two = ws.add_candidate(one, *grorud_holmlia[1], study.bydeler)
    assert list(two.columns) == ws.CANDIDATE_COLUMNS
    assert two.crs == settings.ANALYSIS_CRS
    assert two["id"].tolist() == ["K1", "K2"]
    assert two["name"].tolist() == ["Grorud T", "Kandidat K2"]
    assert two["category"].tolist() == ["brukerrom", "brukerrom"]
    assert two["source"].tolist() == ["klikk i kartet"] * 2
    np.testing.assert_array_equal(xy_of(two), grorud_holmlia)
    three = ws.add_candidate(
        two, 598000, 6643000, study.bydeler, name="x" * 100, category="moteplass", source="test"
    )
    assert three.iloc[2][["id", "name", "category", "source"]].tolist() == [
        "K3",
        "x" * 80,
        "moteplass",
        "test",
    ]
    # ids are the lowest free K<n>: K1 is reused after it was removed
    assert ws.add_candidate(ws.remove_candidates(three, ["K1"]), 598100, 6643000, study.bydeler)[
        "id"
    ].tolist() == ["K2", "K3", "K1"]
    # a name of control characters only falls back to the default
    assert ws.add_candidate(empty, 598000, 6643000, study.bydeler, name="\x00\x1f\x7f")[
        "name"
    ].tolist() == ["Kandidat K1"]


def test_add_candidate_rejects(study) -> None:
    empty = ws.empty_candidates()
    with pytest.raises(ValueError, match=r"Punktet \(Ø 567700, N 6623505\) ligger utenfor Oslos"):
        ws.add_candidate(empty, *DRAMMEN, study.bydeler)
    with pytest.raises(ValueError, match="Marka og fjorden"):
        ws.add_candidate(empty, 596_500, 6_636_000, study.bydeler)  # in the fjord
    with pytest.raises(ValueError, match="Koordinatene er ikke tall"):
        ws.add_candidate(empty, np.nan, 6643000, study.bydeler)
    with pytest.raises(ValueError, match="Koordinatene er ikke tall"):
        ws.add_candidate(empty, 598000, np.inf, study.bydeler)


def test_max_candidates(study) -> None:
    assert ws.MAX_CANDIDATES == 12
    cands = ws.empty_candidates()
    for k in range(ws.MAX_CANDIDATES):
        cands = ws.add_candidate(cands, 598000 + 100 * k, 6643000, study.bydeler)
    assert cands["id"].tolist() == [f"K{n}" for n in range(1, 13)]
    with pytest.raises(ValueError, match="Det er allerede 12 kandidater; fjern noen"):
        ws.add_candidate(cands, 598000, 6644000, study.bydeler)
    # the limit is checked before the location: even a point outside Oslo gets this message
    with pytest.raises(ValueError, match="allerede 12 kandidater"):
        ws.add_candidate(cands, *DRAMMEN, study.bydeler)


def test_move_rename_remove(study, grorud_holmlia) -> None:
    cands = ws.empty_candidates()
    for xy in grorud_holmlia:
        cands = ws.add_candidate(cands, *xy, study.bydeler)
    before = cands.copy()

    moved = ws.move_candidate(cands, "K2", 598000.0, 6643000.0, study.bydeler)
    np.testing.assert_array_equal(xy_of(moved), [grorud_holmlia[0], [598000, 6643000]])
    assert moved.crs == settings.ANALYSIS_CRS and moved["id"].tolist() == ["K1", "K2"]
    pd.testing.assert_frame_equal(cands, before)  # copies, never in place
    with pytest.raises(ValueError, match="Det nye punktet ligger utenfor Oslos bydeler"):
        ws.move_candidate(cands, "K1", *DRAMMEN, study.bydeler)
    # an unknown id moves nothing (no error)
    np.testing.assert_array_equal(
        xy_of(ws.move_candidate(cands, "K9", 598000, 6643000, study.bydeler)),
        grorud_holmlia,
    )

    renamed = ws.rename_candidate(cands, "K1", "  Grorud\r\n T-bane  ")
    assert renamed["name"].tolist() == ["Grorud T-bane", "Kandidat K2"]
    assert ws.rename_candidate(cands, "K2", "\x1b")["name"].tolist() == ["Kandidat K1", "K2"]
    assert ws.rename_candidate(cands, "K9", "x")["name"].tolist() == ["Kandidat K1", "Kandidat K2"]
    pd.testing.assert_frame_equal(cands, before)

    assert ws.remove_candidates(cands, ["K1"])["id"].tolist() == ["K2"]
    assert ws.remove_candidates(cands, ["K1"]).index.tolist() == [0]
    assert ws.remove_candidates(cands, ["K9"])["id"].tolist() == ["K1", "K2"]
    assert ws.remove_candidates(cands, []).equals(cands)
    assert len(ws.remove_candidates(cands, {"K1", "K2"})) == 0
    pd.testing.assert_frame_equal(cands, before)


def test_candidates_from_sites_example_file(study, example_sites) -> None:
    out, messages = ws.candidates_from_sites(
        example_sites, ws.empty_candidates(), study.bydeler, "moteplass", "fil: eksempel"
    )
    assert messages == []
    assert out["id"].tolist() == ["K1", "K2", "K3", "K4", "K5"]
    assert out["name"].tolist() == example_sites["name"].tolist()
    assert out["category"].tolist() == ["brukerrom"] * 5  # the row's category wins
    assert out["source"].tolist() == ["fil: eksempel"] * 5
    np.testing.assert_allclose(
        xy_of(out),
        np.column_stack([example_sites.geometry.x, example_sites.geometry.y]),
        atol=1e-9,
    )


def test_candidates_from_sites_problems_and_crs(study) -> None:
    sites = gpd.GeoDataFrame(
        {
            "name": ["Oslo S", "Drammen", "Tom", None, "Sjette", "Sjuende"],
            "category": ["", None, "lasso", "lasso", "lasso", "lasso"],
        },
        geometry=[
            shapely.Point(10.7528, 59.9111),
            shapely.Point(10.2045, 59.7439),
            shapely.Point(),
            shapely.Point(10.80, 59.93),
            shapely.Point(10.78, 59.92),
            shapely.Point(10.76, 59.92),
        ],
        crs="EPSG:4326",
    )
    existing = ws.empty_candidates()
    for k in range(ws.MAX_CANDIDATES - 3):
        existing = ws.add_candidate(existing, 598000 + 100 * k, 6643000, study.bydeler)
    out, messages = ws.candidates_from_sites(sites, existing, study.bydeler, "annet", "opplasting")
    assert messages == [
        "Rad 2 (Drammen): Punktet (Ø 567700, N 6623505) ligger utenfor Oslos bydeler eller studieområdet "
        "(Marka og fjorden hører ikke til noen bydel i grensesettet).",
        "Rad 3: mangler koordinater.",
        "Rad 6 (Sjuende): Det er allerede 12 kandidater; fjern noen før du legger til flere.",
    ]
    new = out.iloc[len(existing) :]
    assert new["id"].tolist() == ["K10", "K11", "K12"]
    assert new["name"].tolist() == ["Oslo S", "Kandidat K11", "Sjette"]
    assert new["category"].tolist() == ["annet", "lasso", "lasso"]  # empty category: the default
    assert new["source"].tolist() == ["opplasting"] * 3
    np.testing.assert_allclose(xy_of(new)[0], OSLO_S, atol=1e-6)


# ====================================================================== build_whatif + compare
@pytest.fixture(scope="module")
def whatif_setup(study):
    engine = study.straight_engine()
    analysis = ws.AnalysisSettings()
    assert analysis.categories == ("brukerrom",) and analysis.threshold_m == 500.0
    return engine, analysis, ws.build_whatif(study, engine, analysis)


def _from_scratch(study, engine, points: np.ndarray) -> pd.DataFrame:
    extra = gpd.GeoDataFrame(
        {"name": [f"p{k}" for k in range(len(points))], "category": "brukerrom"},
        geometry=gpd.points_from_xy(points[:, 0], points[:, 1]),
        crs=settings.ANALYSIS_CRS,
    )
    return coverage_table(study, ["brukerrom"], 500.0, engine, extra_sites=extra)


def _city(table: pd.DataFrame) -> pd.Series:
    return table.loc[table["zone_code"] == "0301"].iloc[0]


# today's values: (new residents within 500 m, city share after, city median after in metres)
COMPARE_PINS = {
    "K1": (4319.615696987599, 0.022872109757604852, 3165.5590810129693),
    "K2": (4155.1483485725, 0.02264521474129814, 3557.8115182507627),
    "alle": (8474.764045560092, 0.028604447886670277, 2816.7902858720686),
}


def test_compare_candidates_equals_coverage_table_from_scratch(
    study, whatif_setup, grorud_holmlia
) -> None:
    engine, _, whatif = whatif_setup
    cands = ws.empty_candidates()
    for name, xy in zip(["Grorud T", "Holmlia"], grorud_holmlia, strict=True):
        cands = ws.add_candidate(cands, *xy, study.bydeler, name=name)
    comparison = ws.compare_candidates(whatif, cands)
    summary = comparison.summary.set_index("id")
    assert summary.index.tolist() == ["K1", "K2", "alle"]
    assert summary["name"].tolist() == ["Grorud T", "Holmlia", "Alle sammen"]
    assert summary["zone"].tolist() == ["Grorud", "Søndre Nordstrand", ""]

    base = _city(coverage_table(study, ["brukerrom"], 500.0, engine))
    pd.testing.assert_frame_equal(
        whatif.baseline, coverage_table(study, ["brukerrom"], 500.0, engine), check_like=True
    )
    for cid, points in [
        ("K1", grorud_holmlia[:1]),
        ("K2", grorud_holmlia[1:]),
        ("alle", grorud_holmlia),
    ]:
        table = _from_scratch(study, engine, points)
        city, row = _city(table), summary.loc[cid]
        new = city["residents_within_threshold"] - base["residents_within_threshold"]
        assert row["new_within"] == pytest.approx(new, rel=1e-12)
        assert row["share_before"] == pytest.approx(base["share_within_threshold"], rel=1e-12)
        assert row["share_after"] == pytest.approx(city["share_within_threshold"], rel=1e-12)
        assert row["median_before"] == pytest.approx(base["median_distance_m"], rel=1e-12)
        assert row["median_after"] == pytest.approx(city["median_distance_m"], rel=1e-12)
        scenario = comparison.combined if cid == "alle" else comparison.results[cid]
        pd.testing.assert_frame_equal(scenario.table, table, check_like=True, rtol=1e-12)
        pinned = COMPARE_PINS[cid]
        assert (row["new_within"], row["share_after"], row["median_after"]) == pytest.approx(
            pinned, rel=1e-9
        )
    assert base["share_within_threshold"] == pytest.approx(0.016912876612232706, rel=1e-9)
    assert base["median_distance_m"] == pytest.approx(4359.724275172197, rel=1e-9)

    assert summary.loc["K1", "gaining_zones"] == "Grorud"
    assert summary.loc["K2", "gaining_zones"] == "Søndre Nordstrand"
    assert summary.loc["alle", "gaining_zones"] == "Grorud, Søndre Nordstrand"
    # straight line to the one located brukerrom (Prindsen mottakssenter)
    prindsen = study.services.set_index("id").loc["brukerrom-oslo"].geometry
    for cid, xy in zip(["K1", "K2"], grorud_holmlia, strict=True):
        assert summary.loc[cid, "nearest_existing_m"] == pytest.approx(
            np.hypot(xy[0] - prindsen.x, xy[1] - prindsen.y), rel=1e-12
        )
    assert np.isnan(summary.loc["alle", "nearest_existing_m"])
    # gains per bydel: one column per candidate name, only the candidate's own bydel gains
    gain = comparison.gain_by_zone.set_index("zone_code")
    assert list(gain.columns) == ["zone", "Grorud T", "Holmlia"]
    assert gain.loc["030110", "Grorud T"] == pytest.approx(COMPARE_PINS["K1"][0], rel=1e-9)
    assert gain.loc["030115", "Holmlia"] == pytest.approx(COMPARE_PINS["K2"][0], rel=1e-9)
    assert (gain.drop(index=["030110", "0301"])["Grorud T"] == 0).all()
    assert comparison.combined.table["n_services"].iloc[-1] == 3


def test_compare_candidates_zero_and_one(study, whatif_setup, grorud_holmlia) -> None:
    _, _, whatif = whatif_setup
    none = ws.compare_candidates(whatif, ws.empty_candidates())
    assert none.summary.empty and none.combined is None
    assert list(none.summary.columns) == list(SUMMARY_LABELS)
    one = ws.add_candidate(ws.empty_candidates(), *grorud_holmlia[0], study.bydeler)
    single = ws.compare_candidates(whatif, one)
    assert single.summary["id"].tolist() == ["K1"]  # no "Alle sammen" row for one candidate
    assert single.combined is single.results["K1"]


def _counting(whatif, monkeypatch) -> list[int]:
    calls: list[int] = []
    original = whatif.add

    def add(xy, category=None):
        calls.append(len(np.asarray(xy).reshape(-1, 2)))
        return original(xy, category)

    monkeypatch.setattr(whatif, "add", add)
    return calls


def test_compare_candidates_cache(study, whatif_setup, grorud_holmlia, monkeypatch) -> None:
    _, _, whatif = whatif_setup
    calls = _counting(whatif, monkeypatch)
    cands = ws.empty_candidates()
    for xy in grorud_holmlia:
        cands = ws.add_candidate(cands, *xy, study.bydeler)
    cache: dict = {}
    first = ws.compare_candidates(whatif, cands, cache=cache)
    assert calls == [1, 1, 2]  # K1 alone, K2 alone, both together
    assert len(cache) == 3

    again = ws.compare_candidates(whatif, cands, cache=cache)
    assert calls == [1, 1, 2]  # everything from the cache
    pd.testing.assert_frame_equal(again.summary, first.summary)

    # moving K2 recomputes K2 alone and the combined scenario, not K1
    moved = ws.move_candidate(cands, "K2", 598000.0, 6643000.0, study.bydeler)
    after = ws.compare_candidates(whatif, moved, cache=cache)
    assert calls == [1, 1, 2, 1, 2]
    assert after.results["K1"] is first.results["K1"]
    assert after.results["K2"] is not first.results["K2"]
    fresh = ws.compare_candidates(whatif, moved)  # no cache: same numbers
    pd.testing.assert_frame_equal(after.summary, fresh.summary)
    assert calls == [1, 1, 2, 1, 2, 1, 1, 2]
    del calls[:]

    # sub-decimetre noise (key = coordinates rounded to 0.1 m) is no new scenario
    for dx, dy in [(0.04, -0.04), (-0.049, 0.03), (0.0, 0.01)]:
        jitter = ws.move_candidate(moved, "K2", 598000.0 + dx, 6643000.0 + dy, study.bydeler)
        ws.compare_candidates(whatif, jitter, cache=cache)
    assert calls == []
    # ... but a 0.2 m move is, and so is a jitter that crosses a rounding edge (x.04 -> x.06)
    ws.compare_candidates(
        whatif, ws.move_candidate(moved, "K2", 598000.2, 6643000.0, study.bydeler), cache=cache
    )
    assert calls == [1, 2]
    ws.compare_candidates(
        whatif, ws.move_candidate(moved, "K2", 598000.06, 6643000.0, study.bydeler), cache=cache
    )
    assert calls == [1, 2, 1, 2]
    del calls[:]

    # renaming is no new scenario, but the summary shows the new name
    renamed = ws.rename_candidate(moved, "K1", "Grorud T")
    assert ws.compare_candidates(whatif, renamed, cache=cache).summary["name"].tolist() == [
        "Grorud T",
        "Kandidat K2",
        "Alle sammen",
    ]
    assert calls == []
    # the category is part of the key
    ws.compare_candidates(whatif, moved, category="moteplass", cache=cache)
    assert calls == [1, 1, 2]


def test_build_whatif_with_user_weights(study, whatif_setup) -> None:
    engine, analysis, _ = whatif_setup
    weights = study.demand["weight"].to_numpy(dtype=float) * 0.5
    whatif = ws.build_whatif(study, engine, analysis, weights)
    np.testing.assert_allclose(whatif.demand["weight"], weights)
    assert whatif.baseline.attrs["weight_basis"] == "brukerdata"
    expected = coverage_table(study, ["brukerrom"], 500.0, engine, weights=weights)
    for column in ("population", "residents_within_threshold", "share_within_threshold"):
        np.testing.assert_allclose(whatif.baseline[column], expected[column], rtol=1e-12)
    assert _city(whatif.baseline)["population"] == pytest.approx(724_861.0 / 2)
    assert "user_weight" not in study.demand.columns  # the study is not changed


# ====================================================================== AnalysisSettings
def test_analysis_settings_round_trip() -> None:
    default = ws.AnalysisSettings()
    assert default.to_dict() == {
        "categories": ["brukerrom"],
        "distance": "straight",
        "threshold_m": 500.0,
        "speed_kmh": 4.5,
        "weight_basis": "innbyggere",
        "boundary_version": "pbe2013",
        "population_year": None,
        "unreached": "fallback",
        "zone_set": "bydel",
        "study_area": "by",
        "area_bydeler": [],
        "metric": "share_within_threshold",
    }
    custom = ws.AnalysisSettings(
        categories=("moteplass", "brukerrom"),
        distance="network",
        threshold_m=750.0,
        speed_kmh=5.0,
        weight_basis="brukere",
        boundary_version="pbe2013",
        metric="median_distance_m",
    )
    for value in (default, custom):
        data = json.loads(json.dumps(value.to_dict()))
        assert ws.AnalysisSettings.from_dict(data) == value
        assert hash(ws.AnalysisSettings.from_dict(data)) == hash(value)
    assert custom.candidate_category == "brukerrom"
    assert ws.AnalysisSettings(categories=("moteplass", "lasso")).candidate_category == "moteplass"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, {}),
        ({"unknown": 1, "threshold": 900}, {}),  # unknown keys are ignored
        ({"threshold_m": "750", "speed_kmh": 5}, {"threshold_m": 750.0, "speed_kmh": 5.0}),
        ({"threshold_m": 600}, {"threshold_m": 600.0}),
        (
            {"categories": ["nope", "moteplass", "brukerrom"]},
            {"categories": ("moteplass", "brukerrom")},
        ),
        ({"categories": ["nope"]}, {}),  # nothing known left: the default
        ({"categories": []}, {}),
        # a single category given as text is a list of one
        ({"categories": "moteplass"}, {"categories": ("moteplass",)}),
        ({"distance": "walk"}, {}),
        ({"distance": "network"}, {"distance": "network"}),
        ({"metric": "nope"}, {}),
        ({"metric": "n_brukerrom"}, {"metric": "n_brukerrom"}),
        # an unknown boundary set takes the default; the weight basis is a free column name
        (
            {"boundary_version": "xyz", "weight_basis": 5},
            {"weight_basis": 5},
        ),
    ],
)
def test_analysis_settings_from_dict(data, expected) -> None:
    got = ws.AnalysisSettings.from_dict(data)
    want = ws.AnalysisSettings(**expected)
    assert got == want
    assert isinstance(got.threshold_m, float) and isinstance(got.categories, tuple)


@pytest.mark.parametrize(
    ("data", "error"),
    [({"threshold_m": "abc"}, ValueError), ({"speed_kmh": "fast"}, ValueError)],
)
def test_analysis_settings_from_dict_raises_on_non_numbers(data, error) -> None:
    with pytest.raises(error):
        ws.AnalysisSettings.from_dict(data)


@pytest.mark.parametrize("key", ["distance", "metric", "categories", "threshold_m"])
def test_analysis_settings_from_dict_null_takes_default(key) -> None:
    assert ws.AnalysisSettings.from_dict({key: None}) == ws.AnalysisSettings()


# ====================================================================== study_with_services
def test_study_with_services(study) -> None:
    assert ws.study_with_services(study, None) is study
    assert ws.study_with_services(study, gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")) is study
    before = study.services.copy()
    extra = gpd.GeoDataFrame(
        {
            "id": ["u1", "u2"],
            "name": ["Opplastet A", "Opplastet B"],
            "category": ["lasso", "annet"],
        },
        geometry=[shapely.Point(10.7528, 59.9111), shapely.Point(10.2045, 59.7439)],
        crs="EPSG:4326",
    )
    out = ws.study_with_services(study, extra)
    assert out is not study
    pd.testing.assert_frame_equal(study.services, before)  # the original is unchanged
    assert len(out.services) == len(study.services) + 2
    assert out.services.crs == settings.ANALYSIS_CRS
    # the registry's rows come first, re-indexed 0..n-1 (the study's own index is not kept)
    assert out.services.index.tolist() == list(range(len(before) + 2))
    pd.testing.assert_frame_equal(out.services.iloc[: len(before)], before.reset_index(drop=True))
    added = out.services.iloc[len(before) :]
    assert added["id"].tolist() == ["u1", "u2"]
    assert added["zone_code"].iloc[0] == "030116"  # Oslo S lies in Sentrum
    assert pd.isna(added["zone_code"].iloc[1])  # Drammen in no bydel
    np.testing.assert_allclose(
        np.column_stack([added.geometry.x, added.geometry.y]), [OSLO_S, DRAMMEN], atol=1e-6
    )
    assert extra.crs == "EPSG:4326" and "zone_code" not in extra.columns  # the upload too
    # everything else is the same study
    assert out.demand is study.demand and out.bydeler is study.bydeler
    assert out.population is study.population
