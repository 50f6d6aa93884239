"""Vector files from bytes (GeoJSON, GeoPackage, zipped Shapefile): CRS, broken geometries, points."""

from __future__ import annotations

import io as _stdio
import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import InputError, Problem
from geo.geom import guess_crs, to_analysis_crs
from geo.inputs.archive import flat_zip, open_zip
from geo.inputs.coordinates import flag_outside_oslo
from geo.inputs.problems import LoadResult, row_number
from geo.inputs.tables import max_rows
from geo.labels import short_text

__all__ = [
    "VECTOR_SUFFIXES",
    "finish_vector",
    "read_vector_bytes",
    "vector_to_points",
]


VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".shp"}


def read_vector_bytes(data: bytes, file: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read GeoJSON, GeoPackage or a zipped Shapefile from bytes (no extraction to disk)."""
    import pyogrio

    suffix = Path(file).suffix.lower()
    problems: list[Problem] = []
    if suffix in {".geojson", ".json"}:
        _check_json(data, file)
    if suffix == ".zip":
        archive = open_zip(data, file)
        member = _zip_dataset(archive, file, problems)
        try:
            gdf = pyogrio.read_dataframe(_stdio.BytesIO(flat_zip(archive, member)))
        except Exception as exc:  # GDAL raises many kinds for a broken member
            raise InputError(
                Problem(
                    file,
                    None,
                    None,
                    f"Kunne ikke lese {short_text(member, 80)} i zip-filen: {_gdal_reason(exc)}",
                )
            ) from None
    else:
        try:
            gdf = pyogrio.read_dataframe(_stdio.BytesIO(data))
        except Exception as exc:  # GDAL raises many kinds for a broken file
            raise InputError(
                Problem(file, None, None, f"Kunne ikke lese filen som geodata: {_gdal_reason(exc)}")
            ) from None
    if len(gdf) > max_rows():
        raise InputError(Problem(file, None, None, f"Filen har mer enn {max_rows()} objekter."))
    gdf.index = pd.RangeIndex(1, len(gdf) + 1)
    return gdf, problems


def _check_json(data: bytes, file: str) -> None:
    """Refuse what is not JSON before GDAL sees it (with the line and column of the fault)."""
    if data.lstrip()[:1] not in (b"{", b"["):
        raise InputError(
            Problem(file, None, None, "Filen er ikke gyldig JSON/GeoJSON (starter ikke med «{»).")
        )
    try:
        json.loads(data)
    except RecursionError:
        raise InputError(
            Problem(file, None, None, "Filen er ikke gyldig GeoJSON: den er nestet for dypt.")
        ) from None
    except ValueError as exc:
        where = (
            f" (linje {exc.lineno}, tegn {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise InputError(
            Problem(
                file,
                None,
                None,
                f"Filen er ikke gyldig JSON{where}. Lagre den på nytt som GeoJSON.",
            )
        ) from None


def _zip_dataset(archive: zipfile.ZipFile, file: str, problems: list[Problem]) -> str:
    """The member of a checked zip archive to read: a Shapefile with its parts, or a GPKG/GeoJSON."""
    shp = [n for n in archive.namelist() if n.lower().endswith(".shp")]
    gpkg = [n for n in archive.namelist() if n.lower().endswith((".gpkg", ".geojson"))]
    if not shp and not gpkg:
        raise InputError(
            Problem(
                file, None, None, "Zip-arkivet inneholder ingen .shp-, .gpkg- eller .geojson-fil."
            )
        )
    member = (shp or gpkg)[0]
    if shp:
        stem = member[:-4]
        names = {n.lower() for n in archive.namelist()}
        for part in (".dbf", ".shx"):
            if (stem + part).lower() not in names:
                raise InputError(
                    Problem(
                        file,
                        None,
                        None,
                        f"Shapefilen mangler {part}-filen. Ta med alle delene i zip-filen.",
                    )
                )
        if (stem + ".prj").lower() not in names:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    "Shapefilen mangler .prj (koordinatsystem); koordinatsystemet gjettes fra verdiene.",
                    "advarsel",
                )
            )
    return member


def _gdal_reason(exc: Exception) -> str:
    """A bokmål reason for a GDAL/pyogrio read error (no internal paths, no file content)."""
    text = str(exc).lower()
    if "not recognized as being in a supported file format" in text:
        return "formatet ble ikke gjenkjent. Lagre filen som GeoJSON, GeoPackage eller zippet Shapefile."
    if "not a database" in text or "malformed" in text:
        return "filen er ikke en gyldig GeoPackage (skadet database)."
    if "no layers" in text or "no such layer" in text:
        return "filen har ingen kartlag."
    return "filen er skadet eller i et format som ikke støttes."


def _vector_crs(gdf: gpd.GeoDataFrame, file: str, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Give a vector file a CRS (guessed from the values when it has none) and project it.

    The guess is the package's one missing-CRS rule (:func:`geo.geom.guess_crs`); the file is told
    what was assumed. Returns the frame in EPSG:25832. Raises :class:`InputError` when the file
    has no CRS and the values fit neither WGS84 nor UTM 32/33 around Oslo.
    """
    if gdf.crs is None:
        valid = gdf.geometry[~_nonfinite_or_empty(gdf.geometry)]
        crs = guess_crs(valid) if len(valid) else None
        if crs is None:
            raise InputError(
                [
                    *problems,
                    Problem(
                        file,
                        None,
                        "geometry",
                        "Filen har ikke koordinatsystem, og verdiene passer ikke Oslo i WGS84 eller UTM 32/33.",
                    ),
                ]
            )
        gdf = gdf.set_crs(crs)
        problems.append(
            Problem(
                file,
                None,
                "geometry",
                f"Filen mangler koordinatsystem; tolket som {crs} ut fra verdiene.",
                "advarsel",
            )
        )
    return to_analysis_crs(gdf)


def _nonfinite_or_empty(geoms: gpd.GeoSeries) -> np.ndarray:
    """True where a geometry is missing, empty or has a NaN/infinite coordinate."""
    values = geoms.to_numpy()
    bad = shapely.is_missing(values) | shapely.is_empty(values)
    coords, index = shapely.get_coordinates(values, return_index=True)
    if len(coords):
        rows = index[~np.isfinite(coords).all(axis=1)]
        bad[rows] = True
    return np.asarray(bad, dtype=bool)


def _drop_bad_geometries(
    gdf: gpd.GeoDataFrame, file: str, problems: list[Problem]
) -> gpd.GeoDataFrame:
    """Report and drop missing/empty geometries and geometries with NaN/infinite coordinates."""
    geoms = gdf.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad = _nonfinite_or_empty(gdf.geometry)
    for pos, row in enumerate(gdf.index):
        if empty[pos]:
            problems.append(
                Problem(file, row_number(row), "geometry", "Tom geometri; objektet er hoppet over.")
            )
        elif bad[pos]:
            problems.append(
                Problem(
                    file,
                    row_number(row),
                    "geometry",
                    "Geometrien har ugyldige koordinater (NaN/uendelig); objektet er hoppet over.",
                )
            )
    return gdf[~bad].copy()


def vector_to_points(gdf: gpd.GeoDataFrame, file: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Turn the features of a vector file into one point each, for services and candidates.

    Points are kept; a polygon becomes a point inside it (with a warning); a multipoint with one
    point becomes that point. Lines, several points in one feature, empty geometries, NaN/infinite
    coordinates and points outside Oslo lose their geometry with an error (the caller decides
    whether to keep the row). The rows with a rejected location are listed in
    ``frame.attrs["rejected_rows"]``.

    Returns
    -------
    (GeoDataFrame in EPSG:25832, problems)

    """
    problems: list[Problem] = []
    gdf = _vector_crs(gdf, file, problems)
    out: list[object] = []
    rejected: list[int] = []
    bad = _nonfinite_or_empty(gdf.geometry)
    for pos, (row, geom) in enumerate(gdf.geometry.items()):
        if geom is None or geom.is_empty:
            out.append(None)
            continue
        kind = geom.geom_type
        message = None
        if bad[pos]:
            message = "Geometrien har ugyldige koordinater (NaN/uendelig); raden er hoppet over."
        elif kind == "Point":
            out.append(geom)
            continue
        elif kind == "MultiPoint" and len(geom.geoms) == 1:
            out.append(geom.geoms[0])
            continue
        elif kind in {"Polygon", "MultiPolygon"}:
            shape = geom if geom.is_valid else shapely.make_valid(geom)
            out.append(shape.representative_point())
            problems.append(
                Problem(
                    file,
                    row_number(row),
                    "geometry",
                    "Flaten er gjort om til et punkt inne i flaten; sjekk plasseringen.",
                    "advarsel",
                )
            )
            continue
        else:
            message = (
                f"Geometrien er {kind}, ikke et punkt; raden er hoppet over. "
                "Bruk punkter (eller flater) for steder."
            )
        out.append(None)
        rejected.append(row_number(row))
        problems.append(Problem(file, row_number(row), "geometry", message))
    points = gpd.GeoDataFrame(
        gdf.drop(columns=[gdf.geometry.name]),
        geometry=gpd.GeoSeries(out, index=gdf.index, crs=settings.ANALYSIS_CRS),
        crs=settings.ANALYSIS_CRS,
    )
    points = flag_outside_oslo(points, file, problems, "geometry")
    points.attrs["rejected_rows"] = sorted(set(rejected) | set(points.attrs["outside_rows"]))
    return points, problems


_INVALID_REASONS = {
    "ring self-intersection": "en ring krysser seg selv",
    "self-intersection": "flaten krysser seg selv",
    "too few points": "for få punkter",
    "hole lies outside shell": "et hull ligger utenfor ytterkanten",
    "nested holes": "hull inni hull",
    "interior is disconnected": "flaten er delt i to av hull",
    "nested shells": "flater inni hverandre",
    "duplicate rings": "doble ringer",
    "invalid coordinate": "ugyldig koordinat",
    "ring is not closed": "ringen er ikke lukket",
}


def _invalid_reason(reason: str) -> str:
    """GEOS' reason for an invalid geometry in bokmål, with the place rounded to metres."""
    match = re.match(r"\s*([^\[]+?)\s*\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)", reason or "")
    text = (match.group(1) if match else (reason or "")).strip()
    label = _INVALID_REASONS.get(text.lower(), short_text(text, 60))
    if match:
        try:
            x, y = float(match.group(2)), float(match.group(3))
            return f"{label} ved øst {x:.0f}, nord {y:.0f}"
        except ValueError:
            pass
    return label


def finish_vector(
    gdf: gpd.GeoDataFrame, file: str, problems: list[Problem], require_points: bool
) -> LoadResult:
    """Project, repair and classify the features of a vector file (points, polygons or a mix)."""
    n_rows = len(gdf)
    gdf = _vector_crs(gdf, file, problems)
    gdf = _drop_bad_geometries(gdf, file, problems)
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        for row in gdf.index[invalid.to_numpy()]:
            reason = _invalid_reason(shapely.is_valid_reason(gdf.geometry[row]))
            problems.append(
                Problem(
                    file,
                    row_number(row),
                    "geometry",
                    f"Ugyldig geometri ({reason}); reparert med make_valid.",
                    "advarsel",
                )
            )
        gdf.loc[invalid.to_numpy(), "geometry"] = shapely.make_valid(
            gdf.geometry[invalid].to_numpy()
        )
    types = set(gdf.geom_type.str.replace("Multi", ""))
    if not types:
        raise InputError(
            [*problems, Problem(file, None, "geometry", "Filen har ingen gyldige geometrier.")]
        )
    if types == {"Point"}:
        gdf = flag_outside_oslo(gdf, file, problems, "geometry")
        gdf = gdf[~gdf.geometry.isna()]
        if (gdf.geom_type == "MultiPoint").any():
            gdf = gdf.explode(index_parts=False)
        return LoadResult(gdf, problems, "points", "geometri", n_rows)
    if types <= {"Polygon"}:
        return LoadResult(gdf, problems, "polygons", "geometri", n_rows)
    if require_points:
        raise InputError(
            [
                *problems,
                Problem(
                    file,
                    None,
                    "geometry",
                    f"Filen blander geometrityper ({', '.join(sorted(types))}); forventet punkter.",
                ),
            ]
        )
    problems.append(
        Problem(
            file,
            None,
            "geometry",
            f"Filen blander geometrityper ({', '.join(sorted(types))}); punkter brukes, resten hoppes over.",
            "advarsel",
        )
    )
    keep = gdf.geom_type.isin(["Point", "MultiPoint"])
    gdf = gdf[keep.to_numpy()]
    gdf = flag_outside_oslo(gdf, file, problems, "geometry")
    return LoadResult(gdf[~gdf.geometry.isna()], problems, "points", "geometri", n_rows)
