"""Export files: the offline HTML map, file names and MIME types, and bytes for download buttons.

* :func:`html_map` / :func:`export_html` — the app's interactive map as one self-contained HTML
  file (every asset inlined by :func:`geo.maps.webassets.standalone_html`);
* :func:`map_bytes`, :func:`table_bytes`, :func:`report_bytes`, :func:`html_bytes` — the same
  files as the CLI writes (:mod:`geo.export.figures`, :mod:`geo.export.tables`,
  :mod:`geo.export.report`), as bytes for the app's download buttons.

Every export that shows counts of people from user data goes through :mod:`geo.analysis.privacy`
(values 1–4 shown as «<5», totals protected). Residents from public statistics are shown as is.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from geo.analysis.zone_compare import ZoneComparison
from geo.data.study import Study
from geo.export.figures import export_map
from geo.export.report import export_report
from geo.export.tables import export_table
from geo.maps.web import MapLayers, MapOptions, coverage_map
from geo.maps.webassets import standalone_html

__all__ = [
    "MIME_TYPES",
    "export_html",
    "file_name",
    "html_bytes",
    "html_map",
    "map_bytes",
    "report_bytes",
    "table_bytes",
]


def html_map(
    study: Study,
    table: pd.DataFrame | None = None,
    metric: str = "share_within_threshold",
    candidates: gpd.GeoDataFrame | None = None,
    categories: Sequence[str] | None = None,
) -> folium.Map:
    """The interactive map as it is exported: the app's map of the bydeler, services, candidates.

    The bydeler are coloured by ``metric`` (:func:`geo.maps.web.coverage_map`); CDN links are
    kept so that :func:`export_html` can inline every asset.
    """
    return coverage_map(
        MapLayers(
            study.zones,
            table=table,
            metric=metric if table is not None else None,
            services=study.services,
            candidates=candidates,
            categories=categories,
        ),
        MapOptions(local_assets=False),
    )


def export_html(m: folium.Map, out: str | Path) -> Path:
    """Write a folium map as one self-contained HTML file that opens offline."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(standalone_html(m), encoding="utf-8")
    return target


MIME_TYPES = {
    "png": "image/png",
    "pdf": "application/pdf",
    "svg": "image/svg+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "html": "text/html",
}
"""MIME type per export format (for ``st.download_button(mime=...)``)."""


def _as_bytes(write: Any, suffix: str) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="oslo-coverage-export-") as folder:
        path = Path(folder) / f"eksport.{suffix}"
        write(path)
        return path.read_bytes()


def map_bytes(fig: Figure, fmt: str = "png", dpi: float = 300) -> bytes:
    """The map as PNG/PDF/SVG bytes (same output as :func:`export_map`)."""
    return _as_bytes(lambda path: export_map(path, fig, fmt, dpi), fmt)


def table_bytes(
    table: pd.DataFrame,
    scenario: pd.DataFrame | None = None,
    fmt: str = "xlsx",
    candidates: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
) -> bytes:
    """The table export as XLSX/CSV bytes (same output as :func:`export_table`)."""
    return _as_bytes(
        lambda path: export_table(path, table, scenario, fmt, candidates, services), fmt
    )


def report_bytes(
    study: Study,
    table: pd.DataFrame,
    scenario: pd.DataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    metric: str = "share_within_threshold",
    zone_comparison: ZoneComparison | None = None,
) -> bytes:
    """The PDF report as bytes (same output as :func:`export_report`)."""
    return _as_bytes(
        lambda path: export_report(
            path, study, table, scenario, candidates, metric, zone_comparison
        ),
        "pdf",
    )


def html_bytes(m: folium.Map) -> bytes:
    """The self-contained HTML map as UTF-8 bytes (same output as :func:`export_html`)."""
    return _as_bytes(lambda path: export_html(m, path), "html")


def file_name(kind: str, fmt: str, paper: str | None = None, orientation: str | None = None) -> str:
    """A download file name such as ``dekning_oversikt_A4_liggende_2026-11-25.png``."""
    names = {"overview": "oversikt", "choropleth": "temakart", "candidates": "kandidater"}
    parts = ["dekning", names.get(kind, kind)]
    if paper:
        parts.append(paper)
    if orientation:
        parts.append("staende" if orientation == "portrait" else "liggende")
    parts.append(_dt.date.today().isoformat())
    return "_".join(parts) + f".{fmt}"
