"""The scenario store: versions, validation, concurrent saves, a save killed midway, migration."""

from __future__ import annotations

import itertools
import json
import math
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from geo import settings
from geo.errors import ScenarioError, ScenarioNotFoundError, ScenarioStoreError
from geo.scenarios import SCHEMA_VERSION, Scenario, ScenarioStore

REPO = Path(__file__).resolve().parent.parent

SETTINGS = {
    "categories": ["brukerrom", "sproyteutdeling"],
    "distance": "straight",
    "threshold_m": 500.0,
    "metric": "share_within_threshold",
    "boundary_version": "pbe2013",
    "weight_basis": "population",
}


def synthetic_candidates(n: int, tag: str = "a") -> gpd.GeoDataFrame:
    """SYNTETISKE candidate points on a line in EPSG:25832 (values chosen for the test)."""
    return gpd.GeoDataFrame(
        {
            "id": [f"{tag}{i}" for i in range(n)],
            "name": [f"SYNTETISK kandidat {tag}{i} (æøå)" for i in range(n)],
            "category": ["brukerrom"] * n,
        },
        geometry=[Point(590_000.0 + 10 * i, 6_640_000.0 + i) for i in range(n)],
        crs=settings.ANALYSIS_CRS,
    )


@pytest.fixture
def store(tmp_path) -> ScenarioStore:
    return ScenarioStore(tmp_path / "scenarier.sqlite")


def test_save_load_round_trip(store):
    candidates = synthetic_candidates(3)
    candidates["score"] = [1.5, float("nan"), 3]
    candidates["merknad"] = ["<b>fet</b>", "", "blåbær"]
    saved = store.save(
        Scenario("Brukerrom 2 – øst", "planlegger", candidates, SETTINGS, note="A\nB")
    )
    assert saved.version == 1
    assert saved.saved_at.endswith("+00:00")
    loaded = store.load("Brukerrom 2 – øst")
    assert loaded.version == 1 and loaded.author == "planlegger" and loaded.note == "A\nB"
    assert loaded.settings == SETTINGS
    assert loaded.saved_at == saved.saved_at
    frame = loaded.candidates
    assert frame.crs.to_epsg() == 25832
    assert list(frame.columns) == ["id", "name", "category", "score", "merknad", "geometry"]
    assert frame["id"].tolist() == ["a0", "a1", "a2"]
    assert frame["name"].tolist() == candidates["name"].tolist()
    assert frame["merknad"].tolist() == ["<b>fet</b>", "", "blåbær"]
    assert frame["score"].iloc[0] == 1.5 and math.isnan(frame["score"].iloc[1])
    assert frame.geometry.geom_equals_exact(candidates.geometry, tolerance=1e-9).all()


def test_versions_list_and_delete(store):
    for n in (1, 2, 3):
        store.save(Scenario("Plan A", "kari", synthetic_candidates(n), {"n": n}))
    store.save(Scenario("plan b", "ola", synthetic_candidates(4), {}))
    versions = store.versions("Plan A")
    assert versions["version"].tolist() == [1, 2, 3]
    assert versions["n_candidates"].tolist() == [1, 2, 3]
    assert store.load("Plan A").settings == {"n": 3}
    assert len(store.load("Plan A", version=2).candidates) == 2
    listing = store.list()
    assert listing["name"].tolist() == ["Plan A", "plan b"]
    assert listing[["version", "n_candidates"]].values.tolist() == [[3, 3], [1, 4]]
    assert set(listing.columns) >= {"name", "author", "version", "saved_at", "n_candidates"}
    store.delete("Plan A")
    assert store.list()["name"].tolist() == ["plan b"]
    with pytest.raises(ScenarioNotFoundError):
        store.load("Plan A")
    with pytest.raises(ScenarioNotFoundError):
        store.delete("Plan A")
    # A deleted name starts again at version 1.
    assert store.save(Scenario("Plan A", "kari", synthetic_candidates(1), {})).version == 1


def test_not_found_messages_are_bokmal(store):
    store.save(Scenario("Plan", "", synthetic_candidates(1), {}))
    with pytest.raises(KeyError) as info:
        store.load("Finnes ikke")
    assert str(info.value) == "Fant ikke scenarioet «Finnes ikke»."
    with pytest.raises(ScenarioNotFoundError, match="har ingen versjon 7"):
        store.load("Plan", version=7)
    with pytest.raises(ScenarioNotFoundError):
        store.versions("Finnes ikke")


def test_names_are_normalised_and_validated(store):
    saved = store.save(Scenario("  Plan C  ", "", synthetic_candidates(1), {}))
    assert saved.name == "Plan C"
    assert store.load("Plan C ").name == "Plan C"
    for bad in ("", "   ", "x" * 101, "plan\x00", "plan\nto", "høyre\u202evenstre", None):
        with pytest.raises(ScenarioError):
            store.save(Scenario(bad, "", synthetic_candidates(1), {}))  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="Forfatter"):
        store.save(Scenario("Plan", "ola\x07", synthetic_candidates(1), {}))
    assert store.list()["name"].tolist() == ["Plan C"]


@pytest.mark.parametrize(
    "bad_settings",
    [
        {"threshold_m": float("nan")},
        {"categories": {"brukerrom"}},
        {"engine": object()},
        {1: "tallnøkkel er greit i JSON, men ikke et tuppel"} | {(1, 2): "x"},
        ["ikke", "en", "ordbok"],
    ],
)
def test_settings_must_be_json(store, bad_settings):
    with pytest.raises(ScenarioError, match="Innstillingene"):
        store.save(Scenario("Plan", "", synthetic_candidates(1), bad_settings))
    assert store.list().empty


def test_candidates_are_validated_and_projected(store):
    no_crs = synthetic_candidates(2).set_crs(None, allow_override=True)
    with pytest.raises(ScenarioError, match="koordinatsystem"):
        store.save(Scenario("Plan", "", no_crs, {}))
    polygon = synthetic_candidates(1)
    polygon.geometry = [Polygon([(0, 0), (1, 0), (1, 1)])]
    with pytest.raises(ScenarioError, match="punktgeometri"):
        store.save(Scenario("Plan", "", polygon, {}))
    with pytest.raises(ScenarioError, match="category"):
        store.save(Scenario("Plan", "", synthetic_candidates(1).drop(columns="category"), {}))
    wgs84 = synthetic_candidates(2).to_crs(settings.DISPLAY_CRS)
    loaded = store.load(store.save(Scenario("Plan", "", wgs84, {})).name)
    assert loaded.candidates.crs.to_epsg() == 25832
    assert loaded.candidates.geometry.x.tolist() == pytest.approx([590_000.0, 590_010.0], abs=1e-3)
    empty = store.save(Scenario("Tom", "", synthetic_candidates(0), {}))
    assert len(store.load(empty.name).candidates) == 0


def test_store_uses_wal_and_default_path(tmp_path, monkeypatch):
    path = tmp_path / "mappe" / "lager.sqlite"
    monkeypatch.setenv("OSLO_COVERAGE_SCENARIOS", str(path))
    assert settings.scenario_store_path() == path
    store = ScenarioStore()
    assert store.path == path and path.exists()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[
            0
        ] == str(SCHEMA_VERSION)
    monkeypatch.delenv("OSLO_COVERAGE_SCENARIOS")
    assert settings.scenario_store_path() == REPO / "data" / "scenarios" / "scenarios.sqlite"
    assert "data/scenarios/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_exception_inside_the_transaction_rolls_back(store, monkeypatch):
    store.save(Scenario("Plan", "", synthetic_candidates(600), {"v": 1}))

    def fail(name, rows):
        raise RuntimeError("avbrutt midt i lagringen")

    monkeypatch.setattr(ScenarioStore, "_test_hook", fail)
    with pytest.raises(RuntimeError):
        store.save(Scenario("Plan", "", synthetic_candidates(900, "b"), {"v": 2}))
    monkeypatch.setattr(ScenarioStore, "_test_hook", None)
    assert store.versions("Plan")["version"].tolist() == [1]
    assert len(store.load("Plan").candidates) == 600
    assert store.save(Scenario("Plan", "", synthetic_candidates(1), {"v": 3})).version == 2


def test_bad_files_are_refused_clearly(tmp_path):
    junk = tmp_path / "tull.sqlite"
    junk.write_bytes(b"dette er ikke en database" * 100)
    with pytest.raises(ScenarioStoreError, match="ikke et gyldig scenariolager"):
        ScenarioStore(junk)
    foreign = tmp_path / "annen.sqlite"
    with sqlite3.connect(foreign) as con:
        con.execute("CREATE TABLE noe_annet (x)")
    with pytest.raises(ScenarioStoreError, match="ikke et scenariolager"):
        ScenarioStore(foreign)
    newer = tmp_path / "nyere.sqlite"
    ScenarioStore(newer)
    with sqlite3.connect(newer) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ScenarioStoreError, match="nyere versjon"):
        ScenarioStore(newer)


# ---- migration ------------------------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE scenarios (
    name TEXT PRIMARY KEY,
    author TEXT,
    saved_at TEXT,
    settings TEXT,
    candidates TEXT
);
"""


def _v1_store(path: Path) -> None:
    candidates = [
        {"id": "k1", "name": "SYNTETISK 1", "category": "brukerrom", "x": 597000.0, "y": 6643000.0},
        {
            "id": "k2",
            "name": "SYNTETISK 2",
            "category": "lasso",
            "x": 598000.5,
            "y": 6644000.0,
            "score": 0.5,
        },
    ]
    with sqlite3.connect(path) as con:
        con.executescript(V1_SCHEMA)
        con.execute(
            "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?)",
            (
                "Gammel plan",
                "planlegger",
                "2026-01-15T10:00:00+00:00",
                json.dumps({"categories": ["brukerrom"], "threshold_m": 500}),
                json.dumps(candidates),
            ),
        )
        con.execute(
            "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?)",
            ("Skadet plan", None, None, "{ikke json", '[{"x": "nord"}]'),
        )


def test_store_from_schema_1_is_upgraded_in_place(tmp_path):
    path = tmp_path / "v1.sqlite"
    _v1_store(path)
    store = ScenarioStore(path)
    assert store.schema_version() == SCHEMA_VERSION == 2
    old = store.load("Gammel plan")
    assert old.version == 1 and old.author == "planlegger"
    assert old.saved_at == "2026-01-15T10:00:00+00:00"
    assert old.settings == {"categories": ["brukerrom"], "threshold_m": 500}
    assert old.candidates["id"].tolist() == ["k1", "k2"]
    assert old.candidates["category"].tolist() == ["brukerrom", "lasso"]
    assert old.candidates.geometry.x.tolist() == [597000.0, 598000.5]
    assert old.candidates["score"].iloc[1] == 0.5
    broken = store.load("Skadet plan")
    assert broken.settings == {} and len(broken.candidates) == 0
    assert "kunne ikke leses" in broken.note
    with sqlite3.connect(path) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "scenarios" not in tables
    # The old scenario goes on getting versions, and reopening does not migrate again.
    assert store.save(Scenario("Gammel plan", "ny", old.candidates, old.settings)).version == 2
    assert ScenarioStore(path).versions("Gammel plan")["version"].tolist() == [1, 2]


# ---- several processes ----------------------------------------------------------------------

WORKER = r"""
import sys, time, pathlib
import geopandas as gpd
from shapely.geometry import Point
from geo.scenarios import Scenario, ScenarioStore

path, writer, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), pathlib.Path(sys.argv[4])
store = ScenarioStore(path)
print("klar", flush=True)
while not go.exists():
    time.sleep(0.002)
for i in range(n):
    k = i % 5 + 1
    candidates = gpd.GeoDataFrame(
        {"id": [f"{writer}-{i}-{j}" for j in range(k)],
         "name": [f"SYNTETISK {writer} {i} {j}" for j in range(k)],
         "category": ["brukerrom"] * k},
        geometry=[Point(590000.0 + j, 6640000.0) for j in range(k)], crs=25832)
    store.save(Scenario("Delt plan", writer, candidates, {"writer": writer, "i": i}))
    store.save(Scenario(f"Egen plan {writer}", writer, candidates, {"i": i}))
print("ferdig", flush=True)
"""


def _python(script: str, *args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        pytest.fail(f"child process said nothing within {timeout} s")
    return proc.stdout.readline().strip()


def test_concurrent_saves_from_two_processes(tmp_path):
    path = tmp_path / "delt.sqlite"
    ScenarioStore(path)
    go = tmp_path / "start"
    n = 50
    procs = [_python(WORKER, str(path), w, str(n), str(go)) for w in ("A", "B")]
    for proc in procs:
        assert _readline(proc, 60) == "klar"
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = ScenarioStore(path)
    assert store.integrity_check() == "ok"
    versions = store.versions("Delt plan")
    assert versions["version"].tolist() == list(range(1, 2 * n + 1))
    seen = set()
    for version in versions["version"]:
        scenario = store.load("Delt plan", int(version))
        writer, i = scenario.settings["writer"], scenario.settings["i"]
        seen.add((writer, i))
        assert scenario.author == writer
        assert scenario.candidates["id"].tolist() == [f"{writer}-{i}-{j}" for j in range(i % 5 + 1)]
    assert seen == {(w, i) for w in "AB" for i in range(n)}
    # Both writers interleaved (otherwise this test proves little).
    authors = versions["author"].tolist()
    assert sum(a != b for a, b in itertools.pairwise(authors)) > 2
    for writer in "AB":
        assert store.versions(f"Egen plan {writer}")["version"].tolist() == list(range(1, n + 1))


KILLED_SAVE = r"""
import sys, time
import geopandas as gpd
from shapely.geometry import Point
from geo.scenarios import Scenario, ScenarioStore

N = 60_000  # enough rows that SQLite spills uncommitted pages into the WAL file

def pause(name, rows):
    if rows >= N // 2:
        print(f"midt i lagringen {rows}", flush=True)
        time.sleep(300)

ScenarioStore._test_hook = pause
store = ScenarioStore(sys.argv[1])
candidates = gpd.GeoDataFrame(
    {"id": [f"ny{j}" for j in range(N)], "name": ["SYNTETISK ny"] * N,
     "category": ["brukerrom"] * N},
    geometry=gpd.points_from_xy([590000.0 + j for j in range(N)], [6640000.0] * N), crs=25832)
store.save(Scenario("Plan", "ny forfatter", candidates, {"v": 2}))
print("skulle aldri komme hit", flush=True)
"""


def test_save_killed_midway_leaves_previous_version_intact(tmp_path):
    path = tmp_path / "drept.sqlite"
    store = ScenarioStore(path)
    store.save(Scenario("Plan", "kari", synthetic_candidates(10), {"v": 1}))
    wal = Path(f"{path}-wal")
    wal_before = wal.stat().st_size if wal.exists() else 0
    proc = _python(KILLED_SAVE, str(path), start_new_session=True)
    try:
        line = _readline(proc, 60)
        assert line.startswith("midt i lagringen"), line
        assert 30_000 <= int(line.rsplit(" ", 1)[1]) < 60_000  # rows written, not committed
        # While the save is paused another session can still open and read the store.
        started = time.monotonic()
        reader = ScenarioStore(path, busy_timeout_s=30)
        assert reader.versions("Plan")["version"].tolist() == [1]
        assert time.monotonic() - started < 5
        # Part of the unfinished save has reached the disk (in the WAL, without a commit record).
        assert wal.stat().st_size > wal_before + 100_000
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    after = ScenarioStore(path)
    assert after.integrity_check() == "ok"
    assert after.versions("Plan")["version"].tolist() == [1]
    kept = after.load("Plan")
    assert kept.author == "kari" and kept.settings == {"v": 1}
    assert kept.candidates["id"].tolist() == [f"a{i}" for i in range(10)]
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT COUNT(*) FROM candidate").fetchone()[0] == 10
        assert con.execute("SELECT COUNT(*) FROM scenario_version").fetchone()[0] == 1
    assert after.save(Scenario("Plan", "ola", synthetic_candidates(3), {"v": 3})).version == 2
