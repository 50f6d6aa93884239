"""Durable scenario store: candidate sites and settings, saved by name with every version kept.

A *scenario* is what a planner wants to come back to: a set of candidate sites (points in
EPSG:25832), the analysis settings (categories, distance type, threshold, metric, boundary
version, weight basis, …), a name, an author, a note and the time it was saved. Every save of a
name adds a new version; older versions stay and can be opened.

The store is one SQLite file (standard library :mod:`sqlite3`), safe for several planners at once:

* **WAL mode** and a **busy timeout**: readers never block the writer, and two sessions that save
  at the same moment wait for each other instead of failing;
* **each save is one transaction** (``BEGIN IMMEDIATE`` … ``COMMIT``, ``synchronous = FULL``): a
  process killed in the middle of a save leaves the store as it was before the save; the version
  number is taken inside the transaction, so concurrent saves get distinct, gap-free numbers;
* **no pickle**: settings are JSON and candidate sites are rows with ``x``/``y`` in EPSG:25832
  and their other attributes as JSON;
* **schema migrations**: the table ``meta`` holds ``schema_version``. A store written by an older
  schema is upgraded in place (in one transaction) when it is opened, and its scenarios still open.

Schema history
--------------
1. ``meta(key, value)``; ``scenarios(name PRIMARY KEY, author, saved_at, settings, candidates)``
   with one row per name (no versions), ``settings`` a JSON object and ``candidates`` a JSON list
   of ``{"id", "name", "category", "x", "y"}`` in EPSG:25832.
2. (current) ``scenario_version`` (one row per saved version) and ``candidate`` (one row per site
   and version). A v1 row becomes version 1 of its name.

Test hook
---------
``ScenarioStore._test_hook`` (``None`` in normal use) is called as ``hook(name, rows_written)``
inside the save transaction after each batch of candidate rows has been written. The tests use it
to pause a save half-way and kill the process (SIGKILL) to prove that a killed save leaves the
previous version intact.
"""

from __future__ import annotations

import json
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import pandas as pd

from geo import settings
from geo._scenario_schema import (
    BATCH,
    SCHEMA_VERSION,
    candidate_rows,
    candidates_frame,
    create_schema,
    migrate_1_to_2,
    settings_as_json,
)
from geo.errors import ScenarioError, ScenarioNotFoundError, ScenarioStoreError

__all__ = [
    "BUSY_TIMEOUT_S",
    "MAX_AUTHOR_CHARS",
    "MAX_NAME_CHARS",
    "MAX_NOTE_CHARS",
    "Scenario",
    "ScenarioStore",
]


MAX_NAME_CHARS = 100


MAX_AUTHOR_CHARS = 100


MAX_NOTE_CHARS = 2_000


BUSY_TIMEOUT_S = 15.0
"""How long a save waits for another session's save before giving up."""


@dataclass(eq=False)
class Scenario:
    """One saved (or to be saved) scenario.

    Attributes
    ----------
    name
        Unique name (1–100 characters, no control characters).
    author
        Who saved it (may be empty).
    candidates
        Candidate sites: points with columns ``id``, ``name``, ``category`` (and any others,
        stored when their values are JSON-compatible) in EPSG:25832.
    settings
        Analysis settings, JSON-serialisable (categories, distance, threshold_m, metric,
        boundary_version, weight_basis, …). Tuples come back as lists.
    saved_at
        When it was saved (ISO 8601, UTC); set by :meth:`ScenarioStore.save`.
    version
        Version number of this name (1, 2, …); set by :meth:`ScenarioStore.save`.
    note
        Free text.

    """

    name: str
    author: str
    candidates: gpd.GeoDataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    saved_at: str = ""
    version: int = 0
    note: str = ""


def _has_control(text: str, allow_newlines: bool = False) -> bool:
    allowed = "\n\r\t" if allow_newlines else ""
    return any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in allowed for ch in text)


def _clean_name(name: object) -> str:
    if not isinstance(name, str):
        raise ScenarioError("Scenarioets navn må være tekst.")
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise ScenarioError("Scenarioet må ha et navn.")
    if len(text) > MAX_NAME_CHARS:
        raise ScenarioError(f"Navnet er for langt ({len(text)} tegn, maks {MAX_NAME_CHARS}).")
    if _has_control(text):
        raise ScenarioError("Navnet inneholder kontrolltegn; bruk vanlige bokstaver og tall.")
    return text


def _clean_text(value: object, what: str, limit: int, allow_newlines: bool = False) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScenarioError(f"{what} må være tekst.")
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > limit:
        raise ScenarioError(f"{what} er for lang ({len(text)} tegn, maks {limit}).")
    if _has_control(text, allow_newlines):
        raise ScenarioError(f"{what} inneholder kontrolltegn.")
    return text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ScenarioStore:
    """Scenarios in one SQLite file, safe for concurrent sessions and killed processes.

    Parameters
    ----------
    path
        The SQLite file; default :func:`geo.settings.scenario_store_path` (env
        ``OSLO_COVERAGE_SCENARIOS``, else ``data/scenarios/scenarios.sqlite``). Created, with its
        folder, when missing; upgraded in place when written by an older schema.
    busy_timeout_s
        How long an operation waits for another session's write before giving up.

    Raises
    ------
    ScenarioStoreError
        When the file is not a scenario store (or not a database), was written by a newer
        version of the tool, or cannot be created.

    """

    _test_hook: ClassVar[Callable[[str, int], None] | None] = None
    """Test hook, ``None`` in normal use: called as ``hook(name, rows_written)`` inside a save
    transaction after each batch of candidate rows (see the module docstring)."""

    def __init__(
        self, path: str | Path | None = None, busy_timeout_s: float = BUSY_TIMEOUT_S
    ) -> None:
        self.path = Path(path) if path is not None else settings.scenario_store_path()
        self.busy_timeout_s = float(busy_timeout_s)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScenarioStoreError(
                f"Kan ikke opprette mappen for scenariolageret ({self.path.parent}): {exc.strerror}."
            ) from None
        self._open()

    def __repr__(self) -> str:
        return f"ScenarioStore({str(self.path)!r})"

    # ---- connections ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
            con.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise self._store_error(exc) from None
        return con

    def _store_error(self, exc: sqlite3.Error) -> ScenarioStoreError:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return ScenarioStoreError(
                "Scenariolageret er opptatt av en annen lagring; prøv igjen om litt."
            )
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return ScenarioStoreError(
                f"Filen {self.path.name} er ikke et gyldig scenariolager (eller er skadet)."
            )
        return ScenarioStoreError(f"Scenariolageret kunne ikke brukes: {str(exc)[:160]}")

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction: ``BEGIN IMMEDIATE`` for writes (takes the write lock at once)."""
        with closing(self._connect()) as con:
            try:
                con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield con
                con.execute("COMMIT")
            except BaseException as exc:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._store_error(exc) from None
                raise

    def _open(self) -> None:
        """Switch to WAL, then create or migrate the schema (each in its own step)."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                with closing(self._connect()) as con:
                    mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                    raise self._store_error(exc) from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise self._store_error(exc) from None
        if str(mode).lower() != "wal":
            raise ScenarioStoreError(
                f"Scenariolageret kan ikke bruke WAL-modus (fikk «{mode}»); legg filen på en lokal disk."
            )
        # Usually the schema is current: check that without taking the write lock, so opening a
        # store never waits for another session's save.
        with self._transaction(write=False) as con:
            version = self._schema_version(con)
            recorded = self._recorded_version(con)
        if version == SCHEMA_VERSION and recorded == SCHEMA_VERSION:
            return
        with self._transaction(write=True) as con:
            version = self._schema_version(con)  # again, now under the write lock
            if version > SCHEMA_VERSION:
                raise ScenarioStoreError(
                    f"Scenariolageret er laget med en nyere versjon av verktøyet (skjema {version}, "
                    f"denne versjonen kan skjema {SCHEMA_VERSION}). Oppdater verktøyet."
                )
            if version == 1:
                migrate_1_to_2(con)
            elif version == 0:
                create_schema(con)
            con.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    @staticmethod
    def _recorded_version(con: sqlite3.Connection) -> int | None:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            return None
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row is not None and str(row[0]).isdigit() else None

    @staticmethod
    def _schema_version(con: sqlite3.Connection) -> int:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" in tables:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is not None:
                try:
                    return int(row[0])
                except ValueError:
                    raise ScenarioStoreError(
                        "Scenariolageret har en ugyldig skjemaversjon og kan ikke åpnes."
                    ) from None
        if "scenario_version" in tables:
            return SCHEMA_VERSION
        if "scenarios" in tables:
            return 1
        if tables - {"meta", "sqlite_sequence"}:
            raise ScenarioStoreError(
                "Filen er en SQLite-database, men ikke et scenariolager; velg en annen fil."
            )
        return 0

    def schema_version(self) -> int:
        """The schema version recorded in the store (equals :data:`SCHEMA_VERSION` once open)."""
        with self._transaction(write=False) as con:
            return self._schema_version(con)

    # ---- public API ----------------------------------------------------------------------

    def save(self, scenario: Scenario) -> Scenario:
        """Save ``scenario`` as a new version of its name, atomically.

        Returns
        -------
        Scenario
            A copy with ``name`` (normalised), ``version`` and ``saved_at`` set.

        Raises
        ------
        ScenarioError
            Invalid name, author, note, settings or candidates (nothing is written).
        ScenarioStoreError
            The store stayed busy longer than the busy timeout, or cannot be written.

        """
        name = _clean_name(scenario.name)
        author = _clean_text(scenario.author, "Forfatter", MAX_AUTHOR_CHARS)
        note = _clean_text(scenario.note, "Merknaden", MAX_NOTE_CHARS, allow_newlines=True)
        settings_json = settings_as_json(scenario.settings)
        rows = candidate_rows(scenario.candidates)
        saved_at = _now()
        hook = type(self)._test_hook
        with self._transaction(write=True) as con:
            (latest,) = con.execute(
                "SELECT COALESCE(MAX(version), 0) FROM scenario_version WHERE name = ?", (name,)
            ).fetchone()
            version = int(latest) + 1
            cursor = con.execute(
                "INSERT INTO scenario_version"
                "(name, version, author, saved_at, note, settings_json, n_candidates) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, version, author, saved_at, note, settings_json, len(rows)),
            )
            version_id = cursor.lastrowid
            for start in range(0, len(rows), BATCH):
                con.executemany(
                    "INSERT INTO candidate(version_id, pos, id, name, category, x, y, props_json) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(version_id, *row) for row in rows[start : start + BATCH]],
                )
                if hook is not None:
                    hook(name, min(start + BATCH, len(rows)))
        return replace(
            scenario,
            name=name,
            author=author,
            note=note,
            version=version,
            saved_at=saved_at,
            settings=json.loads(settings_json),
        )

    def load(self, name: str, version: int | None = None) -> Scenario:
        """Open a scenario: the latest version unless ``version`` is given.

        Raises
        ------
        ScenarioNotFoundError
            No scenario with that name, or no such version.

        """
        key = unicodedata.normalize("NFC", str(name)).strip()
        with self._transaction(write=False) as con:
            if version is None:
                row = con.execute(
                    "SELECT id, name, version, author, saved_at, note, settings_json, n_candidates "
                    "FROM scenario_version WHERE name = ? ORDER BY version DESC LIMIT 1",
                    (key,),
                ).fetchone()
            else:
                row = con.execute(
                    "SELECT id, name, version, author, saved_at, note, settings_json, n_candidates "
                    "FROM scenario_version WHERE name = ? AND version = ?",
                    (key, int(version)),
                ).fetchone()
            if row is None:
                raise ScenarioNotFoundError(self._not_found(con, key, version))
            version_id, name_, version_, author, saved_at, note, settings_json, n = row
            candidates = con.execute(
                "SELECT id, name, category, x, y, props_json FROM candidate "
                "WHERE version_id = ? ORDER BY pos",
                (version_id,),
            ).fetchall()
        if len(candidates) != n:
            raise ScenarioStoreError(
                f"Scenarioet «{name_}» versjon {version_} er ufullstendig i lageret "
                f"({len(candidates)} av {n} kandidatsteder)."
            )
        return Scenario(
            name=name_,
            author=author,
            candidates=candidates_frame(candidates),
            settings=json.loads(settings_json),
            saved_at=saved_at,
            version=int(version_),
            note=note,
        )

    @staticmethod
    def _not_found(con: sqlite3.Connection, name: str, version: int | None) -> str:
        if version is not None:
            known = [
                r[0]
                for r in con.execute(
                    "SELECT version FROM scenario_version WHERE name = ? ORDER BY version", (name,)
                )
            ]
            if known:
                listed = (
                    ", ".join(map(str, known)) if len(known) <= 10 else f"{known[0]}–{known[-1]}"
                )
                return f"Scenarioet «{name}» har ingen versjon {version} (versjoner: {listed})."
        return f"Fant ikke scenarioet «{name}»."

    def list(self) -> pd.DataFrame:
        """Every scenario's latest version: ``name, author, version, saved_at, n_candidates, note``."""
        with self._transaction(write=False) as con:
            rows = con.execute(
                "SELECT v.name, v.author, v.version, v.saved_at, v.n_candidates, v.note "
                "FROM scenario_version v JOIN ("
                "  SELECT name, MAX(version) AS version FROM scenario_version GROUP BY name"
                ") latest ON latest.name = v.name AND latest.version = v.version "
                "ORDER BY v.name COLLATE NOCASE, v.name"
            ).fetchall()
        frame = pd.DataFrame(
            rows, columns=["name", "author", "version", "saved_at", "n_candidates", "note"]
        )
        return frame.astype({"version": "int64", "n_candidates": "int64"})

    def versions(self, name: str) -> pd.DataFrame:
        """All versions of one scenario: ``version, author, saved_at, n_candidates, note``.

        Raises
        ------
        ScenarioNotFoundError
            No scenario with that name.

        """
        key = unicodedata.normalize("NFC", str(name)).strip()
        with self._transaction(write=False) as con:
            rows = con.execute(
                "SELECT version, author, saved_at, n_candidates, note FROM scenario_version "
                "WHERE name = ? ORDER BY version",
                (key,),
            ).fetchall()
        if not rows:
            raise ScenarioNotFoundError(f"Fant ikke scenarioet «{key}».")
        frame = pd.DataFrame(
            rows, columns=["version", "author", "saved_at", "n_candidates", "note"]
        )
        return frame.astype({"version": "int64", "n_candidates": "int64"})

    def delete(self, name: str) -> None:
        """Delete a scenario with all its versions (one transaction).

        Raises
        ------
        ScenarioNotFoundError
            No scenario with that name.

        """
        key = unicodedata.normalize("NFC", str(name)).strip()
        with self._transaction(write=True) as con:
            ids = [
                r[0] for r in con.execute("SELECT id FROM scenario_version WHERE name = ?", (key,))
            ]
            if not ids:
                raise ScenarioNotFoundError(f"Fant ikke scenarioet «{key}».")
            marks = ",".join("?" * len(ids))
            con.execute(f"DELETE FROM candidate WHERE version_id IN ({marks})", ids)
            con.execute(f"DELETE FROM scenario_version WHERE id IN ({marks})", ids)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` (``"ok"`` for a sound file)."""
        with closing(self._connect()) as con:
            return str(con.execute("PRAGMA integrity_check").fetchone()[0])
