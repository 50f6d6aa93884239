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

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.data.datasets import find_dataset
from geo.errors import InputError, Problem
from geo.inputs.coordinates import points_from_columns
from geo.inputs.problems import LoadResult, row_number
from geo.inputs.read import read_bytes
from geo.inputs.vectors import vector_to_points
from geo.labels import CATEGORIES, short_text

__all__ = [
    "COORD_QUALITIES",
    "REQUIRED_COLUMNS",
    "SERVICE_COLUMNS",
    "empty_registry",
    "load_candidates",
    "load_services",
    "located",
    "looks_like_services",
    "normalise_category",
    "read_services",
    "validate_services",
]


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
        Strings as read by :func:`geo.inputs.read.read_bytes` (index = row numbers as the user
        sees them), or a GeoDataFrame of points from a vector file.
    file
        File name for messages.
    require_coordinates
        True for candidate sites: a candidate without a location is dropped with a message. A
        registry row without a location is kept (listed, counted nowhere) with a warning.
    default_quality
        ``coord_quality`` given to rows with coordinates and no quality column.

    Returns
    -------
    LoadResult
        GeoDataFrame with :data:`SERVICE_COLUMNS` (minus lat/lon), ``category_label`` and
        ``geometry`` (EPSG:25832; empty where no coordinate is known).

    """
    rejected = set(raw.attrs.get("rejected_rows", []))
    raw = raw.rename(
        columns={
            c: _COLUMN_ALIASES.get(str(c).strip().lower(), str(c).strip().lower())
            for c in raw.columns
        }
    )
    _check_required_columns(raw, file)
    points, problems = _locate(raw, file, require_coordinates)
    keep = np.ones(len(points), dtype=bool)
    points["category"] = _checked_categories(points, file, keep, problems)
    names = points["name"].astype(str).str.strip()
    for pos, (row, name) in enumerate(names.items()):
        if not name:
            keep[pos] = False
            problems.append(
                Problem(file, row_number(row), "name", "Mangler navn; raden er hoppet over.")
            )
    points["id"] = _checked_ids(points, names, file, keep, problems)
    no_coord = (points.geometry.isna() | points.geometry.is_empty).to_numpy()
    outside = rejected | set(points.attrs.get("outside_rows", []))
    for pos, row in enumerate(points.index):
        if not (no_coord[pos] and keep[pos]):
            continue
        reported = any(p.row == row_number(row) for p in problems)
        if row_number(row) in outside:
            keep[pos] = False  # a point outside Oslo or a rejected shape: skipped, already said
        elif require_coordinates:
            keep[pos] = False
            if not reported:
                problems.append(
                    Problem(
                        file,
                        row_number(row),
                        None,
                        "Mangler koordinater; et kandidatsted må ha en plassering.",
                    )
                )
    points["coord_quality"] = _checked_qualities(
        points, no_coord, keep, file, problems, default_quality
    )
    return LoadResult(_registry(points, keep), problems, "points", "EPSG:25832", len(raw))


def looks_like_services(columns: Sequence[object]) -> bool:
    """True when a table has a category column (``category``, ``kategori``, ``type``).

    Such a file is a service registry, and is checked as one (categories, ids, coordinates).
    """
    return any(
        _COLUMN_ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) == "category"
        for c in columns
    )


def _check_required_columns(raw: pd.DataFrame, file: str) -> None:
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


def _locate(
    raw: pd.DataFrame, file: str, require_coordinates: bool
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The rows as points in EPSG:25832 (empty geometry where none), and what went wrong."""
    if isinstance(raw, gpd.GeoDataFrame):
        return (raw.to_crs(settings.ANALYSIS_CRS) if raw.crs else raw), []
    built, problems, _ = points_from_columns(
        raw, file, require=require_coordinates, keep_unlocated=not require_coordinates
    )
    if built is not None:
        return built, problems
    if not require_coordinates:
        problems.append(
            Problem(
                file,
                None,
                None,
                "Fant ingen koordinatkolonner («lat»/«lon» eller «x»/«y»); alle rader er "
                f"beholdt uten plassering og teller ikke i avstandene. Kolonner i filen: "
                f"{_column_list(raw.columns)}.",
                "advarsel",
            )
        )
    empty = gpd.GeoSeries([None] * len(raw), index=raw.index)
    return gpd.GeoDataFrame(raw.copy(), geometry=empty, crs=settings.ANALYSIS_CRS), problems


def _checked_categories(
    points: gpd.GeoDataFrame, file: str, keep: np.ndarray, problems: list[Problem]
) -> list[str | None]:
    categories = []
    for pos, (row, value) in enumerate(points["category"].items()):
        slug = normalise_category(value)
        if slug is None:
            keep[pos] = False
            problems.append(
                Problem(
                    file,
                    row_number(row),
                    "category",
                    f"Ukjent kategori «{short_text(value)}»; raden er hoppet over. "
                    f"Gyldige: {', '.join(CATEGORIES)}.",
                )
            )
        categories.append(slug)
    return categories


def _checked_ids(
    points: gpd.GeoDataFrame,
    names: pd.Series,
    file: str,
    keep: np.ndarray,
    problems: list[Problem],
) -> pd.Series:
    """Ids as given (or made from the name); a repeated id drops the later row."""
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
                    row_number(row),
                    "id",
                    f"Id «{short_text(ident)}» finnes allerede på rad {seen[ident]}; "
                    "raden er hoppet over.",
                )
            )
        else:
            seen[ident] = row_number(row)
    return ids


def _checked_qualities(
    points: gpd.GeoDataFrame,
    no_coord: np.ndarray,
    keep: np.ndarray,
    file: str,
    problems: list[Problem],
    default_quality: str,
) -> pd.Series:
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
                    row_number(row),
                    "coord_quality",
                    f"Ukjent koordinatkvalitet «{short_text(q)}»; satt til «{default_quality}».",
                    "advarsel",
                )
            )
            quality.iloc[pos] = default_quality
    return quality


def _registry(points: gpd.GeoDataFrame, keep: np.ndarray) -> gpd.GeoDataFrame:
    """The kept rows with the full schema, ``category_label`` and any extra columns."""
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
    return out


def _column_list(columns: Iterable[object], limit: int = 20) -> str:
    """Column names for a message: each shortened and made safe, at most ``limit`` of them."""
    names = [short_text(c) for c in columns]
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
    target = Path(path) if path else find_dataset("services")
    result = read_services(target, require_coordinates=False)
    result.frame.attrs["source_path"] = str(target)
    return result


def load_candidates(path: str | Path | bytes, name: str | None = None) -> LoadResult:
    """Load candidate sites (same schema as services; coordinates required)."""
    result = read_services(path, name=name, require_coordinates=True)
    return result


def located(
    services: gpd.GeoDataFrame, categories: Sequence[str] | None = None
) -> gpd.GeoDataFrame:
    """Services with a known location, optionally only the given categories."""
    mask = ~(services.geometry.isna() | services.geometry.is_empty)
    if categories:
        mask &= services["category"].isin(list(categories))
    return services[mask.to_numpy()]
