"""Tables for case documents: the bydel comparison and the candidate comparison as XLSX/CSV."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.privacy import SUPPRESSION_NOTE, protect_coverage_table
from geo.analysis.provenance import settings_lines
from geo.data.datasets import DATASETS
from geo.labels import (
    CATEGORIES,
    FORMATS,
    METRIC_HELP,
    TABLE_METRICS,
    metric_kind,
    metric_label,
    zone_words,
)
from geo.maps.compose import table_sources
from geo.names import CITY_NAME
from geo.style import INK

__all__ = [
    "BYDEL_TABLE_COLUMNS",
    "CANDIDATE_METRICS",
    "TABLE_FORMATS",
    "UNPLACED_COLUMNS",
    "about_rows",
    "candidate_comparison",
    "comparison_table",
    "export_table",
    "unplaced_services",
    "write_csv",
    "write_xlsx",
]


TABLE_FORMATS = ("xlsx", "csv")


BYDEL_TABLE_COLUMNS = ["zone_code", "zone", *TABLE_METRICS]
"""Columns of the bydel comparison, in order (the metrics of :data:`geo.labels.TABLE_METRICS`)."""

CANDIDATE_METRICS = [
    "share_within_threshold",
    "residents_within_threshold",
    "median_distance_m",
    "n_services",
]
"""Metrics compared in the candidate comparison (today, with candidates, change)."""


def _number_format(metric: str) -> str:
    return FORMATS["excel"][metric_kind(metric)]


def _zone_headers(table: pd.DataFrame) -> dict[str, str]:
    """«Bydelsnummer»/«Bydel», «Delbydelsnummer»/«Delbydel» or «Sonenummer»/«Sone»."""
    one, _ = zone_words(table.attrs.get("zone_noun"))
    joint = "s" if one.endswith("l") else ""  # «bydelsnummer», but «sonenummer»
    return {"zone_code": f"{one.capitalize()}{joint}nummer", "zone": one.capitalize()}


def comparison_table(table: pd.DataFrame) -> pd.DataFrame:
    """The bydel comparison for export: chosen columns, bokmål headers, small counts protected.

    ``attrs["formats"]`` maps each header to an Excel number format.
    """
    protected = protect_coverage_table(table)
    threshold = float(table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M))
    columns = [c for c in BYDEL_TABLE_COLUMNS if c in protected.columns]
    out = protected[columns].copy()
    basis = table.attrs.get("weight_basis")
    headers = {c: metric_label(c, threshold, basis) for c in columns}
    headers.update(_zone_headers(table))
    out = out.rename(columns=headers)
    out.attrs = dict(table.attrs)
    out.attrs["formats"] = {
        headers[c]: _number_format(c) for c in columns if c not in ("zone_code", "zone")
    }
    out.attrs["metrics"] = {headers[c]: c for c in columns}
    out.attrs["suppressed"] = protected.attrs.get("suppressed")
    return out


def candidate_comparison(
    baseline: pd.DataFrame, scenario: pd.DataFrame, metrics: Sequence[str] = CANDIDATE_METRICS
) -> pd.DataFrame:
    """Per bydel: each metric today, with the candidates, and the change.

    Shares change in percentage points (shown as percent of the whole, e.g. +4,1 %).
    """
    threshold = float(baseline.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M))
    base = protect_coverage_table(baseline)
    new = protect_coverage_table(scenario)
    out = base[["zone_code", "zone"]].copy()
    formats: dict[str, str] = {}
    metric_of: dict[str, str] = {}
    for metric in metrics:
        if metric not in base.columns:
            continue
        label = metric_label(metric, threshold)
        today, later = base[metric], new[metric]
        cols = (f"{label} – i dag", f"{label} – med kandidater", f"{label} – endring")
        out[cols[0]] = today.to_numpy()
        out[cols[1]] = later.to_numpy()
        numeric = pd.api.types.is_numeric_dtype(today) and pd.api.types.is_numeric_dtype(later)
        with np.errstate(invalid="ignore"):
            out[cols[2]] = (later - today).to_numpy() if numeric else ":"
        for col in cols:
            formats[col] = _number_format(metric)
            metric_of[col] = metric
    out = out.rename(columns=_zone_headers(baseline))
    out.attrs = dict(baseline.attrs)
    out.attrs["formats"] = formats
    out.attrs["metrics"] = metric_of
    return out


def about_rows(table: pd.DataFrame, extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Rows of the «Om tabellen» sheet: made, settings, sources, definitions, small numbers."""
    rows: list[tuple[str, str]] = [
        ("Laget", _dt.date.today().strftime("%d.%m.%Y") + " med oslo-coverage"),
        *[("Innstilling", line) for line in settings_lines(table)],
        ("Koordinatsystem", settings.CRS_LABEL),
        *extra,
    ]
    for key in table_sources(table):
        ds = DATASETS[key]
        rows.append(("Kilde", f"{ds.title}: {ds.source}, {ds.date or 'udatert'} ({ds.licence})"))
    metrics = table.attrs.get("metrics") or {c: c for c in table.columns}
    seen: set[str] = set()
    for header, metric in metrics.items():
        if metric in METRIC_HELP and metric not in seen:
            seen.add(metric)
            rows.append(("Definisjon", f"{header.split(' – ')[0]}: {METRIC_HELP[metric]}"))
    rows.append(("Små tall", SUPPRESSION_NOTE))
    return rows


def unplaced_services(services: gpd.GeoDataFrame) -> pd.DataFrame:
    """The registry's services without a location, in bokmål: they are listed, and count nowhere.

    Columns ``Navn``, ``Kategori``, ``Adresse``, ``Kilde``, ``Hvorfor ikke plassert``.
    """
    if len(services) == 0:
        return pd.DataFrame(columns=list(UNPLACED_COLUMNS.values()))
    missing = services[services.geometry.isna() | services.geometry.is_empty]
    out = pd.DataFrame(
        {
            column: missing[column].fillna("").astype(str).to_numpy()
            if column in missing
            else [""] * len(missing)
            for column in UNPLACED_COLUMNS
        }
    )
    out["category"] = [CATEGORIES.get(c, c) for c in out["category"]]
    out["note"] = [_why_unplaced(address) for address in out["address"]]
    return out.rename(columns=UNPLACED_COLUMNS)


UNPLACED_COLUMNS = {
    "name": "Navn",
    "category": "Kategori",
    "address": "Adresse",
    "source_url": "Kilde",
    "note": "Hvorfor ikke plassert",
}


def _why_unplaced(address: str) -> str:
    if not address.strip():
        return "Ingen adresse i kildene (mobilt tilbud eller adresse ikke publisert)."
    return "Ingen kilde med koordinat for adressen; koordinater anslås ikke fra gatenavn."


def write_csv(frame: pd.DataFrame, out: str | Path) -> Path:
    """CSV for Excel: UTF-8 with BOM (æøå shown right), ``;`` separated, decimal comma."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False, sep=";", decimal=",", encoding="utf-8-sig")
    return target


def write_xlsx(
    sheets: dict[str, pd.DataFrame], about: Sequence[tuple[str, str]], out: str | Path
) -> Path:
    """Formatted workbook: bold header, frozen header row, widths, number formats, about sheet."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            _format_sheet(writer.sheets[name], frame)
        about_frame = pd.DataFrame(list(about), columns=["Tema", "Tekst"])
        about_frame.to_excel(writer, sheet_name="Om tabellen", index=False)
        _format_about(writer.sheets["Om tabellen"], len(about_frame))
    return target


def _header_style(cell: Any) -> None:
    from openpyxl.styles import Font, PatternFill

    cell.font = Font(bold=True, color="FFFFFF")
    cell.fill = PatternFill("solid", fgColor=INK.lstrip("#"))


def _format_sheet(sheet: Any, frame: pd.DataFrame) -> None:
    """Header, widths and number formats of one table sheet; the ``Hele byen`` row in bold."""
    from openpyxl.styles import Alignment, Font

    formats = frame.attrs.get("formats", {})
    for k, column in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=1, column=k)
        _header_style(cell)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        longest = max([len(str(v)) for v in frame[column].head(50)] + [8])
        sheet.column_dimensions[cell.column_letter].width = min(max(longest + 2, 12), 40)
        number_format = formats.get(column)
        for row in range(2, len(frame) + 2):
            target_cell = sheet.cell(row=row, column=k)
            if number_format and isinstance(target_cell.value, (int, float)):
                target_cell.number_format = number_format
            if isinstance(target_cell.value, str) and target_cell.value in ("<5", ":"):
                target_cell.alignment = Alignment(horizontal="right")
    sheet.row_dimensions[1].height = 45
    has_bydel = "Bydel" in frame.columns
    sheet.freeze_panes = "C2" if has_bydel else "A2"
    if not has_bydel:
        return
    bydel_column = list(frame.columns).index("Bydel") + 1
    for row in range(2, len(frame) + 2):
        if sheet.cell(row=row, column=bydel_column).value == CITY_NAME:
            for k in range(1, len(frame.columns) + 1):
                sheet.cell(row=row, column=k).font = Font(bold=True)


def _format_about(sheet: Any, n_rows: int) -> None:
    from openpyxl.styles import Alignment

    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 110
    for k in (1, 2):
        _header_style(sheet.cell(row=1, column=k))
    for row in range(2, n_rows + 2):
        sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row, column=1).alignment = Alignment(vertical="top")


def export_table(
    out: str | Path,
    table: pd.DataFrame,
    scenario: pd.DataFrame | None = None,
    fmt: str | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write the bydel comparison (and, with ``scenario``, the candidate comparison).

    Parameters
    ----------
    out
        Target file; the format follows the suffix unless ``fmt`` is given.
    table
        Coverage table (:func:`geo.metrics.coverage_table`), the baseline.
    scenario
        The table with candidate sites added. XLSX gets a sheet «Kandidatsammenligning»; CSV holds
        only one table, so with ``scenario`` the CSV is the candidate comparison.
    fmt
        ``"xlsx"`` or ``"csv"``.
    candidates
        Candidate sites (listed in a sheet «Kandidater» in XLSX).
    services
        The service registry: XLSX lists the services without a location in «Ikke plassert».

    """
    kind = (fmt or Path(out).suffix.lstrip(".")).lower()
    if kind not in TABLE_FORMATS:
        raise ValueError(f"Ukjent tabellformat «{kind}». Gyldige: {', '.join(TABLE_FORMATS)}.")
    bydel = comparison_table(table)
    comparison = candidate_comparison(table, scenario) if scenario is not None else None
    if kind == "csv":
        return write_csv(comparison if comparison is not None else bydel, out)
    sheets = {"Bydeler": bydel}
    extra: list[tuple[str, str]] = []
    if comparison is not None:
        sheets["Kandidatsammenligning"] = comparison
        extra.append(
            (
                "Kandidatsammenligning",
                "«i dag» = dagens tilbud; «med kandidater» = dagens tilbud + kandidatstedene; «endring» = med kandidater − i dag (andeler i prosentpoeng).",
            )
        )
    if candidates is not None and len(candidates):
        sheets["Kandidater"] = _candidate_list(candidates)
    if services is not None:
        unplaced = unplaced_services(services)
        if len(unplaced):
            sheets["Ikke plassert"] = unplaced
            extra.append(
                ("Ikke plassert", f"{len(unplaced)} tilbud uten kjent plassering teller ikke.")
            )
    about = about_rows(bydel, extra)
    return write_xlsx(sheets, about, out)


def _candidate_list(candidates: gpd.GeoDataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Nr.": np.arange(1, len(candidates) + 1),
            "Navn": candidates.get("name", pd.Series([""] * len(candidates))).to_numpy(),
            "Kategori": candidates.get("category", pd.Series([""] * len(candidates))).to_numpy(),
            "Øst (EPSG:25832)": candidates.geometry.x.round(0).to_numpy(),
            "Nord (EPSG:25832)": candidates.geometry.y.round(0).to_numpy(),
            "Koordinatkvalitet": candidates.get(
                "coord_quality", pd.Series([""] * len(candidates))
            ).to_numpy(),
        }
    )
    frame.attrs["formats"] = {"Øst (EPSG:25832)": "0", "Nord (EPSG:25832)": "0"}
    return frame
