"""The scenario store's tables and how rows become scenarios: schema, migration, conversions."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import ScenarioError

__all__ = [
    "BATCH",
    "CANDIDATE_BASE",
    "MAX_CANDIDATES",
    "MAX_SETTINGS_BYTES",
    "SCHEMA_V2",
    "SCHEMA_VERSION",
    "candidate_rows",
    "candidates_frame",
    "create_schema",
    "jsonable",
    "migrate_1_to_2",
    "settings_as_json",
]

MAX_CANDIDATES = 100_000

SCHEMA_VERSION = 2
"""Schema written by this version of the code (see the module docstring for the history)."""


MAX_SETTINGS_BYTES = 1_000_000


BATCH = 256


CANDIDATE_BASE = ("id", "name", "category")


SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scenario_version (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    author TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    settings_json TEXT NOT NULL,
    n_candidates INTEGER NOT NULL,
    UNIQUE (name, version)
);
CREATE TABLE IF NOT EXISTS candidate (
    version_id INTEGER NOT NULL REFERENCES scenario_version(id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    x REAL NOT NULL,
    y REAL NOT NULL,
    props_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (version_id, pos)
);
"""


def settings_as_json(value: object) -> str:
    if not isinstance(value, dict):
        raise ScenarioError("Innstillingene må være en ordbok (dict).")
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(
            "Innstillingene kan ikke lagres (bare tekst, tall, sann/usann, lister og ordbøker "
            f"med tekstnøkler; ikke NaN/uendelig): {str(exc)[:120]}"
        ) from None
    if len(text.encode("utf-8")) > MAX_SETTINGS_BYTES:
        raise ScenarioError("Innstillingene er for store til å lagres (over 1 MB).")
    return text


def jsonable(value: object) -> object:
    """A cell value as JSON (``None`` for missing or non-finite; text for anything exotic)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    return str(value)


def candidate_rows(candidates: object) -> list[tuple[int, str, str, str, float, float, str]]:
    """Validate candidate sites and turn them into rows ``(pos, id, name, category, x, y, props)``."""
    if not isinstance(candidates, gpd.GeoDataFrame):
        raise ScenarioError("Kandidatene må være en GeoDataFrame med punkter.")
    missing = [c for c in CANDIDATE_BASE if c not in candidates.columns]
    if missing:
        raise ScenarioError(f"Kandidatene mangler kolonne(r): {', '.join(missing)}.")
    if len(candidates) > MAX_CANDIDATES:
        raise ScenarioError(f"For mange kandidatsteder ({len(candidates)}, maks {MAX_CANDIDATES}).")
    if len(candidates) and candidates.crs is None:
        raise ScenarioError("Kandidatene mangler koordinatsystem (forventet EPSG:25832).")
    frame = candidates
    if len(frame) and frame.crs is not None and frame.crs.to_epsg() != 25832:
        frame = frame.to_crs(settings.ANALYSIS_CRS)
    values = frame.geometry.to_numpy()
    kinds = shapely.get_type_id(values)
    xs, ys = shapely.get_x(values), shapely.get_y(values)
    ids = [jsonable(v) for v in frame["id"].tolist()]
    not_point = (kinds != 0) | shapely.is_empty(values)
    problems = np.flatnonzero(not_point | ~(np.isfinite(xs) & np.isfinite(ys)))
    if len(problems):
        pos = int(problems[0])
        bad = bool(not_point[pos])
        ident = ids[pos]
        label = f"rad {pos + 1}" + (f" (id «{str(ident)[:40]}»)" if ident is not None else "")
        what = "har ikke en punktgeometri" if bad else "har ugyldige koordinater"
        raise ScenarioError(f"Kandidatsted {label} {what}.")
    names = [jsonable(v) for v in frame["name"].tolist()]
    categories = [jsonable(v) for v in frame["category"].tolist()]
    extra = [c for c in frame.columns if c not in CANDIDATE_BASE and c != frame.geometry.name]
    columns = {str(c): [jsonable(v) for v in frame[c].tolist()] for c in extra}
    return [
        (
            pos,
            "" if ids[pos] is None else str(ids[pos]),
            str(names[pos] or ""),
            str(categories[pos] or ""),
            float(xs[pos]),
            float(ys[pos]),
            json.dumps(
                {c: v[pos] for c, v in columns.items()}, ensure_ascii=False, allow_nan=False
            ),
        )
        for pos in range(len(frame))
    ]


def candidates_frame(rows: list[tuple[Any, ...]]) -> gpd.GeoDataFrame:
    """Rebuild the candidates GeoDataFrame from stored rows ``(id, name, category, x, y, props)``."""
    records: list[dict[str, Any]] = []
    extra: dict[str, None] = {}
    for ident, name, category, _x, _y, props_json in rows:
        props = json.loads(props_json) if props_json else {}
        for key in props:
            extra.setdefault(key, None)
        records.append({"id": ident, "name": name, "category": category, **props})
    columns = [*CANDIDATE_BASE, *(k for k in extra if k not in CANDIDATE_BASE)]
    frame = pd.DataFrame(records, columns=columns)
    xs = np.array([r[3] for r in rows], dtype=float)
    ys = np.array([r[4] for r in rows], dtype=float)
    return gpd.GeoDataFrame(
        frame,
        geometry=gpd.points_from_xy(xs, ys, crs=settings.ANALYSIS_CRS),
        crs=settings.ANALYSIS_CRS,
    )


def create_schema(con: sqlite3.Connection) -> None:
    """Create the current tables inside the caller's transaction.

    (Not ``executescript``: it would commit the open transaction first.)
    """
    for statement in SCHEMA_V2.split(";"):
        if statement.strip():
            con.execute(statement)


def migrate_1_to_2(con: sqlite3.Connection) -> None:
    """Schema 1 → 2 inside the caller's transaction: each v1 row becomes version 1 of its name.

    A v1 row whose JSON cannot be read is still carried over (with empty settings or no
    candidates) and says so in its note, so no scenario is lost.
    """
    old = con.execute(
        "SELECT name, author, saved_at, settings, candidates FROM scenarios ORDER BY rowid"
    ).fetchall()
    create_schema(con)
    for name, author, saved_at, settings_text, candidates_text in old:
        notes = ["Flyttet fra skjema 1."]
        try:
            settings_value = json.loads(settings_text or "{}")
            if not isinstance(settings_value, dict):
                raise ValueError("not an object")
        except ValueError:
            settings_value = {}
            notes.append("Innstillingene kunne ikke leses.")
        rows: list[tuple[Any, ...]] = []
        try:
            for pos, item in enumerate(json.loads(candidates_text or "[]")):
                x, y = float(item["x"]), float(item["y"])
                if not (math.isfinite(x) and math.isfinite(y)):
                    raise ValueError("non-finite coordinate")
                extra = {k: v for k, v in item.items() if k not in {*CANDIDATE_BASE, "x", "y"}}
                rows.append(
                    (
                        pos,
                        str(item.get("id", "")),
                        str(item.get("name", "")),
                        str(item.get("category", "")),
                        x,
                        y,
                        json.dumps(extra, ensure_ascii=False),
                    )
                )
        except (ValueError, TypeError, KeyError, AttributeError):
            rows = []
            notes.append("Kandidatlisten kunne ikke leses.")
        cursor = con.execute(
            "INSERT INTO scenario_version"
            "(name, version, author, saved_at, note, settings_json, n_candidates) "
            "VALUES (?, 1, ?, ?, ?, ?, ?)",
            (
                str(name),
                str(author or ""),
                str(saved_at or ""),
                " ".join(notes),
                json.dumps(settings_value, ensure_ascii=False),
                len(rows),
            ),
        )
        con.executemany(
            "INSERT INTO candidate(version_id, pos, id, name, category, x, y, props_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(cursor.lastrowid, *row) for row in rows],
        )
    con.execute("DROP TABLE scenarios")
