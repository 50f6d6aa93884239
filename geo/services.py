"""The service registry: schema, categories, loading and validation.

Schema of ``data/services.csv`` (and of candidate files, which use the same columns):

============== ==================================================================================
column         meaning
============== ==================================================================================
id             stable identifier (slug); made from the name when missing
name           the service's name
category       one of :data:`CATEGORIES` (slug or bokmål label, any case)
address        street address
postcode       postcode
lat, lon       WGS84 coordinates (or ``x``/``y`` in EPSG:25832/25833); empty when not known
operator       who runs it
opening_hours  as published
source_url     where the service and its address are stated
date_checked   when the source was checked (ISO date)
coord_quality  ``verifisert``, ``omtrentlig``, ``mangler`` or ``fiktiv``
coord_source   where the coordinate came from
note           anything else
============== ==================================================================================

Rows without coordinates are kept with an empty geometry and ``coord_quality = "mangler"``: they
are listed, counted per category where their bydel is known, but cannot be used for distances.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import datasets, settings
from geo.io import (
    InputError,
    LoadResult,
    Problem,
    _rownum,
    _short,
    points_from_columns,
    read_bytes,
    vector_to_points,
)

CATEGORIES: dict[str, str] = {
    "brukerrom": "Brukerrom",
    "sproyteutdeling": "Sprøyteutdeling",
    "sproyteboks": "Sprøyteboks",
    "helsetilbud": "Helsetilbud/feltpleie",
    "lasso": "LASSO/substitusjon",
    "rusmiddelanalyse": "Rusmiddelanalyse",
    "moteplass": "Møteplass/aktivitetshus",
    "overnatting": "Overnatting",
    "oppsokende": "Oppsøkende",
    "annet": "Annet",
}
"""Category slug → bokmål label. Covers the measures of the action plan *Tryggere liv* 2026–2029."""

CATEGORY_LABELS = CATEGORIES

SERVICE_COLUMNS = [
    "id",
    "name",
    "category",
    "address",
    "postcode",
    "lat",
    "lon",
    "operator",
    "opening_hours",
    "source_url",
    "date_checked",
    "coord_quality",
    "coord_source",
    "note",
]
REQUIRED_COLUMNS = ["name", "category"]
COORD_QUALITIES = {"verifisert", "omtrentlig", "mangler", "fiktiv", "geokodet", "brukeroppgitt"}

_COLUMN_ALIASES = {
    "navn": "name",
    "kategori": "category",
    "type": "category",
    "adresse": "address",
    "postnr": "postcode",
    "postnummer": "postcode",
    "driver": "operator",
    "operatør": "operator",
    "åpningstider": "opening_hours",
    "kilde": "source_url",
    "kilde_url": "source_url",
    "sjekket": "date_checked",
    "merknad": "note",
}


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("ø", "o").replace("æ", "ae"))
    text = text.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


_CATEGORY_KEYS: dict[str, str] = {}
for _slug_key, _label in CATEGORIES.items():
    _CATEGORY_KEYS[_slug_key] = _slug_key
    _CATEGORY_KEYS[_slug(_label).replace("-", "")] = _slug_key
    for _part in _label.split("/"):
        _CATEGORY_KEYS[_slug(_part).replace("-", "")] = _slug_key
_CATEGORY_KEYS.update(
    {
        "feltpleie": "helsetilbud",
        "substitusjon": "lasso",
        "lar": "lasso",
        "sproyterom": "brukerrom",
        "aktivitetshus": "moteplass",
    }
)


def normalise_category(value: object) -> str | None:
    """Map a category slug or label in any case/spelling to its slug, or ``None`` if unknown.

    >>> normalise_category("Sprøyteboks")
    'sproyteboks'
    >>> normalise_category("LASSO/substitusjon")
    'lasso'
    """
    key = _slug(str(value)).replace("-", "")
    return _CATEGORY_KEYS.get(key)


def empty_registry() -> gpd.GeoDataFrame:
    """An empty service registry with the full schema, in EPSG:25832."""
    frame = pd.DataFrame(
        {c: pd.Series(dtype=str) for c in SERVICE_COLUMNS if c not in ("lat", "lon")}
    )
    frame["bydel_code"] = pd.Series(dtype=object)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries([], crs=settings.ANALYSIS_CRS), crs=settings.ANALYSIS_CRS
    )


def validate_services(
    raw: pd.DataFrame,
    file: str,
    require_coordinates: bool = False,
    default_quality: str = "brukeroppgitt",
) -> LoadResult:
    """Check a raw table against the service schema and build the registry.

    Parameters
    ----------
    raw
        Strings as read by :func:`geo.io.read_bytes` (index = row numbers as the user sees them).
    file
        File name for messages.
    require_coordinates
        True for candidate sites: a candidate without a location is dropped with a message.
    default_quality
        ``coord_quality`` given to rows with coordinates and no quality column.

    Returns
    -------
    LoadResult
        GeoDataFrame with :data:`SERVICE_COLUMNS` (minus lat/lon), ``category_label`` and
        ``geometry`` (EPSG:25832; empty where no coordinate is known).

    """
    problems: list[Problem] = []
    rejected = set(raw.attrs.get("rejected_rows", []))
    raw = raw.rename(
        columns={
            c: _COLUMN_ALIASES.get(str(c).strip().lower(), str(c).strip().lower())
            for c in raw.columns
        }
    )
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            Problem(
                file,
                None,
                ", ".join(missing),
                f"Mangler kolonne(r) {', '.join(missing)}. Påkrevd: {', '.join(REQUIRED_COLUMNS)}; "
                f"valgfrie: {', '.join(c for c in SERVICE_COLUMNS if c not in REQUIRED_COLUMNS)}. "
                f"Kolonner i filen: {_column_list(raw.columns)}.",
            )
        )
    if isinstance(raw, gpd.GeoDataFrame):
        points = raw.to_crs(settings.ANALYSIS_CRS) if raw.crs else raw
        coord_problems: list[Problem] = []
    else:
        built, coord_problems, _ = points_from_columns(raw, file, require=require_coordinates)
        points = (
            built
            if built is not None
            else gpd.GeoDataFrame(
                raw.copy(),
                geometry=gpd.GeoSeries([None] * len(raw), index=raw.index),
                crs=settings.ANALYSIS_CRS,
            )
        )
    problems += coord_problems
    keep = np.ones(len(points), dtype=bool)
    categories = []
    for pos, (row, value) in enumerate(points["category"].items()):
        slug = normalise_category(value)
        if slug is None:
            keep[pos] = False
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    "category",
                    f"Ukjent kategori «{_short(value)}»; raden er hoppet over. Gyldige: {', '.join(CATEGORIES)}.",
                )
            )
        categories.append(slug)
    points["category"] = categories
    names = points["name"].astype(str).str.strip()
    for pos, (row, name) in enumerate(names.items()):
        if not name:
            keep[pos] = False
            problems.append(
                Problem(file, _rownum(row), "name", "Mangler navn; raden er hoppet over.")
            )
    ids = (
        points["id"].astype(str).str.strip()
        if "id" in points.columns
        else pd.Series("", index=points.index)
    )
    ids = ids.where(ids != "", names.map(_slug))
    seen: dict[str, int] = {}
    for pos, (row, ident) in enumerate(ids.items()):
        if not keep[pos]:
            continue
        if ident in seen:
            keep[pos] = False
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    "id",
                    f"Id «{_short(ident)}» finnes allerede på rad {seen[ident]}; raden er hoppet over.",
                )
            )
        else:
            seen[ident] = _rownum(row)
    points["id"] = ids
    geoms = points.geometry
    no_coord = (geoms.isna() | geoms.is_empty).to_numpy()
    outside = rejected | set(points.attrs.get("outside_rows", []))
    for pos, row in enumerate(points.index):
        if no_coord[pos] and keep[pos]:
            if require_coordinates:
                keep[pos] = False
                if _rownum(row) not in outside and not any(p.row == _rownum(row) for p in problems):
                    problems.append(
                        Problem(
                            file,
                            _rownum(row),
                            None,
                            "Mangler koordinater; et kandidatsted må ha en plassering.",
                        )
                    )
            elif _rownum(row) in outside:
                keep[pos] = False
    if not require_coordinates:
        # a registry row may lack a location; say it was kept, not skipped
        unlocated = {
            _rownum(r) for pos, r in enumerate(points.index) if keep[pos] and no_coord[pos]
        }
        problems[:] = [
            dataclasses.replace(
                p,
                severity="advarsel",
                message=p.message.replace(
                    "raden er hoppet over",
                    "raden er beholdt uten plassering og teller ikke i avstandene",
                ),
            )
            if p.row in unlocated and "hoppet over" in p.message
            else p
            for p in problems
        ]
    quality = (
        points["coord_quality"].astype(str).str.strip().str.lower()
        if "coord_quality" in points.columns
        else pd.Series("", index=points.index)
    )
    quality = quality.where(quality != "", default_quality)
    quality = quality.where(~no_coord, "mangler")
    for pos, (row, q) in enumerate(quality.items()):
        if keep[pos] and q not in COORD_QUALITIES:
            problems.append(
                Problem(
                    file,
                    _rownum(row),
                    "coord_quality",
                    f"Ukjent koordinatkvalitet «{_short(q)}»; satt til «{default_quality}».",
                    "advarsel",
                )
            )
            quality.iloc[pos] = default_quality
    points["coord_quality"] = quality
    for column in SERVICE_COLUMNS:
        if column not in points.columns and column not in ("lat", "lon"):
            points[column] = ""
    points["category_label"] = points["category"].map(CATEGORIES)
    columns = [c for c in SERVICE_COLUMNS if c not in ("lat", "lon")] + ["category_label"]
    extra = [
        c
        for c in points.columns
        if c not in columns and c not in ("geometry", "lat", "lon", "x", "y")
    ]
    out = gpd.GeoDataFrame(
        points.loc[keep, columns + extra], geometry=points.geometry[keep], crs=settings.ANALYSIS_CRS
    )
    for column in columns:
        if column != "category":
            out[column] = out[column].fillna("").astype(str)
    return LoadResult(out, problems, "points", "EPSG:25832", len(raw))


def _column_list(columns: Iterable[object], limit: int = 20) -> str:
    """Column names for a message: each shortened and made safe, at most ``limit`` of them."""
    names = [_short(c) for c in columns]
    more = f" … (+{len(names) - limit})" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def read_services(
    source: str | Path | bytes, name: str | None = None, require_coordinates: bool = False
) -> LoadResult:
    """Read and validate a services or candidates file (CSV, XLSX, GeoJSON, GPKG, zipped SHP).

    Raises
    ------
    geo.io.InputError
        When the file cannot be used at all (wrong columns, not a table).

    """
    if isinstance(source, (bytes, bytearray)):
        data, file = bytes(source), name or "opplastet fil"
    else:
        path = Path(source)
        file = name or path.name
        if not path.exists():
            raise InputError(Problem(file, None, None, f"Fant ikke filen {path}."))
        data = path.read_bytes()
    raw, problems = read_bytes(data, file)
    if len(raw) == 0:
        raise InputError(
            [*problems, Problem(file, None, None, "Filen har overskrifter, men ingen datarader.")]
        )
    if isinstance(raw, gpd.GeoDataFrame):
        raw = (
            raw.rename(columns=str.lower).set_geometry("geometry")
            if "geometry" in [str(c).lower() for c in raw.columns]
            else raw
        )
        raw, vector_problems = vector_to_points(raw, file)
        problems = problems + vector_problems
    try:
        result = validate_services(raw, file, require_coordinates=require_coordinates)
    except InputError as exc:
        raise InputError([*problems, *exc.problems]) from None
    result.problems = problems + result.problems
    return result


def load_services(path: str | Path | None = None) -> LoadResult:
    """Load the service registry (``data/services.csv`` unless ``path`` is given)."""
    target = Path(path) if path else datasets.find_dataset("services")
    result = read_services(target, require_coordinates=False)
    result.frame.attrs["source_path"] = str(target)
    return result


def load_candidates(path: str | Path | bytes, name: str | None = None) -> LoadResult:
    """Load candidate sites (same schema as services; coordinates required)."""
    result = read_services(path, name=name, require_coordinates=True)
    return result


def located(services: gpd.GeoDataFrame, categories: list[str] | None = None) -> gpd.GeoDataFrame:
    """Services with a known location, optionally only the given categories."""
    mask = ~(services.geometry.isna() | services.geometry.is_empty)
    if categories:
        mask &= services["category"].isin(categories)
    return services[mask.to_numpy()]


def site_xy(sites: gpd.GeoDataFrame) -> np.ndarray:
    """Coordinates (n, 2) in EPSG:25832 of located sites."""
    if len(sites) == 0:
        return np.empty((0, 2))
    geoms = (
        sites.geometry.to_crs(settings.ANALYSIS_CRS)
        if sites.crs != settings.ANALYSIS_CRS
        else sites.geometry
    )
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])
