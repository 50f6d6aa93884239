"""Exports for case documents (saksframlegg): static maps, tables, a PDF report and offline HTML.

* :func:`export_map` — overview, choropleth or candidate-comparison map as PNG (300 dpi), PDF
  or SVG on A4/A3, portrait/landscape, laid out by :mod:`geo.cartography`.
* :func:`export_table` — the bydel comparison or the candidate comparison as XLSX (formatted,
  with a sheet «Om tabellen» stating sources, date, settings and definitions) or CSV (UTF-8
  with BOM, semicolon-separated with decimal comma so Norwegian Excel opens it in columns).
* :func:`export_report` — a PDF of a few A4 pages: settings, overview map, choropleth,
  comparison table, candidate comparison, definitions and sources.
* :func:`export_html` — the folium map as one self-contained HTML file (every asset inlined by
  :func:`geo.webassets.standalone_html`).

Every export that shows counts of people from user data goes through :mod:`geo.privacy`
(values 1–4 shown as «<5», totals protected). Residents from public statistics are shown as is.

CLI: ``oslo-coverage export map|table|report|html … --out FILE`` (see :func:`add_cli`).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geo import cartography as carto
from geo import settings
from geo.names import CITY_CODE
from geo.privacy import SUPPRESSION_NOTE, protect_coverage_table

if TYPE_CHECKING:
    import folium

    from geo.metrics import Study

MAP_KINDS = ("overview", "choropleth", "candidates")
MAP_FORMATS = ("png", "pdf", "svg")
TABLE_FORMATS = ("xlsx", "csv")

BYDEL_TABLE_COLUMNS = [
    "bydel_code",
    "bydel",
    "population",
    "n_services",
    "services_per_10k",
    "residents_within_threshold",
    "share_within_threshold",
    "median_distance_m",
    "p90_distance_m",
    "location_quotient",
]
"""Columns of the bydel comparison table, in order."""

CANDIDATE_METRICS = [
    "share_within_threshold",
    "residents_within_threshold",
    "median_distance_m",
    "n_services",
]
"""Metrics compared in the candidate comparison (today, with candidates, change)."""

_PERCENT = "0.0%"
_INTEGER = "#,##0"
_DECIMAL = "0.00"


# ---------------------------------------------------------------------- tables
def _label(metric: str, threshold_m: float) -> str:
    return carto.metric_label(metric, threshold_m)


def _number_format(metric: str) -> str:
    if metric.startswith("share") or metric.endswith("_pp"):
        return _PERCENT
    if metric.endswith("_m") or metric in ("population", "residents_within_threshold"):
        return _INTEGER
    if metric.startswith("n_"):
        return "0"
    return _DECIMAL


def comparison_table(table: pd.DataFrame) -> pd.DataFrame:
    """The bydel comparison for export: chosen columns, bokmål headers, small counts protected.

    ``attrs["formats"]`` maps each header to an Excel number format.
    """
    protected = protect_coverage_table(table)
    threshold = float(table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M))
    columns = [c for c in BYDEL_TABLE_COLUMNS if c in protected.columns]
    out = protected[columns].copy()
    basis = table.attrs.get("weight_basis")
    headers = {c: carto.metric_label(c, threshold, basis) for c in columns}
    headers.update({"bydel_code": "Bydelsnummer", "bydel": "Bydel"})
    out = out.rename(columns=headers)
    out.attrs = dict(table.attrs)
    out.attrs["formats"] = {
        headers[c]: _number_format(c) for c in columns if c not in ("bydel_code", "bydel")
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
    out = base[["bydel_code", "bydel"]].copy()
    formats: dict[str, str] = {}
    metric_of: dict[str, str] = {}
    for metric in metrics:
        if metric not in base.columns:
            continue
        label = _label(metric, threshold)
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
    out = out.rename(columns={"bydel_code": "Bydelsnummer", "bydel": "Bydel"})
    out.attrs = dict(baseline.attrs)
    out.attrs["formats"] = formats
    out.attrs["metrics"] = metric_of
    return out


def about_rows(table: pd.DataFrame, extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """Rows of the «Om tabellen» sheet: made, settings, sources, definitions, small numbers."""
    from geo.datasets import DATASETS
    from geo.metrics import METRIC_HELP

    rows: list[tuple[str, str]] = [
        ("Laget", _dt.date.today().strftime("%d.%m.%Y") + " med oslo-coverage"),
        *[("Innstilling", line) for line in settings_lines(table)],
        ("Koordinatsystem", settings.CRS_LABEL),
        *extra,
    ]
    for key in carto._table_sources(table):
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


def settings_lines(table: pd.DataFrame) -> list[str]:
    """Lines stating how a metric table was made (shared wording with the CLI)."""
    from geo.cli import settings_lines as cli_settings_lines

    return cli_settings_lines(table)


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
    from openpyxl.styles import Alignment, Font, PatternFill

    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=carto.INK.lstrip("#"))
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            formats = frame.attrs.get("formats", {})
            for k, column in enumerate(frame.columns, start=1):
                cell = sheet.cell(row=1, column=k)
                cell.font, cell.fill = header_font, header_fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                letter = cell.column_letter
                longest = max([len(str(v)) for v in frame[column].head(50)] + [8])
                sheet.column_dimensions[letter].width = min(max(longest + 2, 12), 40)
                number_format = formats.get(column)
                for row in range(2, len(frame) + 2):
                    target_cell = sheet.cell(row=row, column=k)
                    if number_format and isinstance(target_cell.value, (int, float)):
                        target_cell.number_format = number_format
                    if isinstance(target_cell.value, str) and target_cell.value in ("<5", ":"):
                        target_cell.alignment = Alignment(horizontal="right")
            sheet.row_dimensions[1].height = 45
            sheet.freeze_panes = "C2" if "Bydel" in frame.columns else "A2"
            if "Bydel" in frame.columns:
                for row in range(2, len(frame) + 2):
                    if (
                        sheet.cell(row=row, column=list(frame.columns).index("Bydel") + 1).value
                        == "Hele byen"
                    ):
                        for k in range(1, len(frame.columns) + 1):
                            sheet.cell(row=row, column=k).font = Font(bold=True)
        about_frame = pd.DataFrame(list(about), columns=["Tema", "Tekst"])
        about_frame.to_excel(writer, sheet_name="Om tabellen", index=False)
        sheet = writer.sheets["Om tabellen"]
        sheet.column_dimensions["A"].width = 18
        sheet.column_dimensions["B"].width = 110
        for k in (1, 2):
            cell = sheet.cell(row=1, column=k)
            cell.font, cell.fill = header_font, header_fill
        for row in range(2, len(about_frame) + 2):
            sheet.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
            sheet.cell(row=row, column=1).alignment = Alignment(vertical="top")
    return target


def export_table(
    out: str | Path,
    table: pd.DataFrame,
    scenario: pd.DataFrame | None = None,
    fmt: str | None = None,
    candidates: gpd.GeoDataFrame | None = None,
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


# ---------------------------------------------------------------------- maps
def build_map(
    kind: str,
    study: Study,
    table: pd.DataFrame | None = None,
    scenario: pd.DataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    metric: str = "share_within_threshold",
    paper: str = "A4",
    orientation: str | None = None,
    method: str = "naturalbreaks",
    k: int = 5,
    background: str = "plain",
    title: str | None = None,
    subtitle: str | None = None,
    categories: Sequence[str] | None = None,
) -> Figure:
    """Draw one map kind (``overview``, ``choropleth``, ``candidates``) for a study."""
    if kind not in MAP_KINDS:
        raise ValueError(f"Ukjent karttype «{kind}». Gyldige: {', '.join(MAP_KINDS)}.")
    orientation = orientation or ("portrait" if kind == "choropleth" else "landscape")
    if kind == "overview":
        fig = carto.overview_map(
            study.bydeler,
            study.services,
            categories=categories,
            paper=paper,
            orientation=orientation,
            background=background,
        )
    elif kind == "choropleth":
        if table is None:
            raise ValueError("Et temakart trenger en dekningstabell.")
        fig = carto.choropleth_map(
            study.bydeler,
            table,
            metric,
            method=method,
            k=k,
            paper=paper,
            orientation=orientation,
            background=background,
        )
    else:
        if table is None or scenario is None or candidates is None or len(candidates) == 0:
            raise ValueError(
                "Et kandidatkart trenger kandidatsteder (f.eks. --candidates data/candidates_example.csv)."
            )
        fig = carto.candidate_map(
            study.bydeler,
            study.services,
            candidates,
            table,
            scenario,
            metric=metric,
            paper=paper,
            orientation=orientation,
        )
    if title or subtitle:
        _retitle(fig, title, subtitle)
    return fig


def _retitle(fig: Figure, title: str | None, subtitle: str | None) -> None:
    """Replace the default title and/or subtitle of a map figure."""
    for item in fig.texts:
        if item.get_gid() == "title" and title:
            item.set_text(title)
        elif item.get_gid() == "subtitle" and subtitle:
            item.set_text(subtitle)


def export_map(out: str | Path, fig: Figure, fmt: str | None = None, dpi: float = 300) -> Path:
    """Save a map figure as PNG/PDF/SVG at exactly its paper size."""
    return carto.save_figure(fig, out, fmt, dpi)


# ---------------------------------------------------------------------- report
_A4 = carto.paper_size_mm("A4", "portrait")


def _page(title: str | None = None) -> tuple[Figure, float]:
    """A blank A4 portrait page; returns it and the y (figure fraction) below the title."""
    fig = Figure(figsize=(_A4[0] / 25.4, _A4[1] / 25.4))
    y = 1 - 15 / _A4[1]
    if title:
        fig.text(15 / _A4[0], y, title, fontsize=15, fontweight="bold", color=carto.INK, va="top")
        y -= 12 / _A4[1]
    return fig, y


def _text_pages(title: str, blocks: Sequence[tuple[str, Sequence[str]]]) -> list[Figure]:
    """Pages of headed paragraphs, wrapped to the A4 text width; continues on a new page."""
    pages: list[Figure] = []
    fig, y = _page(title)
    pages.append(fig)
    left, bottom = 15 / _A4[0], 22 / _A4[1]
    size = 9.5
    line = size * 0.3528 * 1.45 / _A4[1]
    chars = int((_A4[0] - 30) / (size * 0.3528 * 0.56))
    for heading, paragraphs in blocks:
        needed = 2.5 * line
        if y - needed < bottom:
            fig, y = _page(title + " (forts.)")
            pages.append(fig)
        if heading:
            fig.text(left, y, heading, fontsize=11, fontweight="bold", color=carto.INK, va="top")
            y -= 1.6 * line
        for paragraph in paragraphs:
            for text_line in textwrap.wrap(paragraph, chars) or [""]:
                if y - line < bottom:
                    fig, y = _page(title + " (forts.)")
                    pages.append(fig)
                fig.text(left, y, text_line, fontsize=size, color=carto.INK, va="top")
                y -= line
            y -= 0.4 * line
        y -= 0.8 * line
    return pages


def _table_page(title: str, frame: pd.DataFrame, notes: Sequence[str] = ()) -> Figure:
    """One A4 page with a table drawn as real text (formatted numbers, bold whole-city row)."""
    fig, y = _page(title)
    metrics = frame.attrs.get("metrics", {})
    cells = []
    for _, row in frame.iterrows():
        cells.append(
            [
                _cell_text(metrics.get(c, c), row[c], str(c).endswith("endring"))
                for c in frame.columns
            ]
        )
    headers = [_wrap_header(str(c)) for c in frame.columns]
    ax = fig.add_axes((15 / _A4[0], 0.2, 1 - 30 / _A4[0], y - 0.22))
    ax.set_axis_off()
    widths = [1.8 if c == "Bydel" else 1.0 for c in frame.columns]
    total = sum(widths)
    table = ax.table(
        cellText=cells,
        colLabels=headers,
        colWidths=[w / total for w in widths],
        loc="upper center",
        cellLoc="right",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    longest = max(h.count("\n") + 1 for h in headers)
    n_rows = len(cells) + 1
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("#d0d0d8")
        cell.set_linewidth(0.4)
        cell.set_height((1.0 if r else 0.55 * longest + 0.4) / (n_rows + 0.55 * longest + 0.4))
        if r == 0:
            cell.set_facecolor(carto.INK)
            cell.get_text().set_color("white")
            cell.get_text().set_fontweight("bold")
            cell.get_text().set_fontsize(6.5)
            cell.get_text().set_horizontalalignment("center")
        elif (
            cells[r - 1][list(frame.columns).index("Bydel")] == "Hele byen"
            if "Bydel" in frame.columns
            else False
        ):
            cell.get_text().set_fontweight("bold")
            cell.set_facecolor(carto.OSLO_PALETTE["beige"])
        if r > 0 and frame.columns[c] == "Bydel":
            cell.get_text().set_horizontalalignment("left")
    y_note = 0.185
    for note in notes:
        for text_line in textwrap.wrap(note, 125):
            if y_note < 0.03:
                break
            fig.text(15 / _A4[0], y_note, text_line, fontsize=7, color=carto.INK, va="top")
            y_note -= 0.012
    return fig


_HYPHENATION = {
    "Lokaliseringskvotient": "Lokaliserings- kvotient",
    "Medianavstand": "Median- avstand",
    "Innbyggere": "Inn- byggere",
}


def _wrap_header(text: str, width: int = 12) -> str:
    """Wrap a column header for a narrow table column, hyphenating words longer than the column."""
    for word, split in _HYPHENATION.items():
        text = text.replace(word, split) if len(word) > width else text
    lines: list[str] = []
    for line in textwrap.wrap(text, width, break_long_words=False):
        while len(line) > width + 2:
            lines.append(line[: width - 1] + "-")
            line = line[width - 1 :]
        lines.append(line)
    return "\n".join(lines)


def _cell_text(metric: str, value: Any, signed: bool = False) -> str:
    if signed and isinstance(value, (int, float, np.number)) and np.isfinite(value):
        sign = "+" if value > 0 else ""
        if metric.startswith("share"):  # a change of a share is in percentage points
            return sign + carto.format_number(100 * float(value), 1) + " pp"
        return sign + _cell_text(metric, value)
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if metric in ("bydel_code", "bydel"):
        return str(value)
    if isinstance(value, (int, float, np.number)) and metric.startswith("share"):
        return carto.format_number(100 * float(value), 1) + " %"
    if (
        metric.endswith("_m")
        or metric in ("population", "residents_within_threshold")
        or metric.startswith("n_")
    ):
        return carto.format_number(float(value), 0)
    return carto.format_number(float(value), 2)


def _number_pages(pages: list[Figure]) -> None:
    made = _dt.date.today().strftime("%d.%m.%Y")
    for k, fig in enumerate(pages, start=1):
        w, _ = fig.get_size_inches()
        fig.text(
            1 - 10 / (w * 25.4),
            6 / _A4[1],
            f"Side {k} av {len(pages)} · oslo-coverage · {made}",
            fontsize=7,
            color=carto.INK,
            ha="right",
            va="bottom",
        )


def report_pages(
    study: Study,
    table: pd.DataFrame,
    scenario: pd.DataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    metric: str = "share_within_threshold",
    title: str = "Dekning av lavterskeltilbud i Oslo",
) -> list[Figure]:
    """The report's pages as figures (A4 portrait; the candidate map landscape)."""
    from geo.datasets import DATASETS
    from geo.metrics import METRIC_HELP

    threshold = float(table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M))
    city = table[table["bydel_code"] == CITY_CODE].iloc[0]
    protected = protect_coverage_table(table)
    shown_city = protected[protected["bydel_code"] == CITY_CODE].iloc[0]
    key_numbers = [
        f"{_label(m, threshold)}: {_cell_text(m, shown_city[m])}"
        for m in (
            "population",
            "n_services",
            "share_within_threshold",
            "median_distance_m",
            "p90_distance_m",
        )
    ]
    if scenario is not None:
        new_city = scenario[scenario["bydel_code"] == CITY_CODE].iloc[0]
        key_numbers.append(
            f"Med {len(candidates) if candidates is not None else ''} kandidatsteder: "
            f"{_label('share_within_threshold', threshold)} {_cell_text('share_within_threshold', new_city['share_within_threshold'])} "
            f"(i dag {_cell_text('share_within_threshold', city['share_within_threshold'])})."
        )
    contents = [
        "Innstillinger og nøkkeltall",
        "Oversiktskart over tilbudene",
        f"Temakart: {_label(metric, threshold)}",
        "Sammenligning av bydelene (tabell)",
    ]
    if scenario is not None:
        contents += ["Kandidatsteder: kart og tabell"]
    contents += ["Definisjoner og kilder"]
    blocks: list[tuple[str, Sequence[str]]] = [
        (
            "",
            [
                f"Laget {_dt.date.today().strftime('%d.%m.%Y')} med oslo-coverage. Grenser: {table.attrs.get('boundary_version', 'pbe2013')}. Koordinatsystem: {settings.CRS_LABEL}."
            ],
        ),
        ("Innstillinger", settings_lines(table)),
        ("Nøkkeltall for hele byen", key_numbers),
        ("Innhold", [f"{k}. {c}" for k, c in enumerate(contents, start=1)]),
    ]
    if len(study.problems):
        blocks.append(("Merknader til tjenesteregisteret", [str(p) for p in study.problems[:10]]))
    pages = _text_pages(title, blocks)
    pages.append(build_map("overview", study, paper="A4", orientation="portrait"))
    pages.append(
        build_map("choropleth", study, table, metric=metric, paper="A4", orientation="portrait")
    )
    comparison = comparison_table(table)
    pages.append(
        _table_page(
            "Sammenligning av bydelene",
            comparison.drop(columns=["Bydelsnummer"]),
            [*settings_lines(table), SUPPRESSION_NOTE],
        )
    )
    if scenario is not None and candidates is not None and len(candidates):
        pages.append(
            build_map(
                "candidates",
                study,
                table,
                scenario,
                candidates,
                paper="A4",
                orientation="landscape",
            )
        )
        cand = candidate_comparison(
            table, scenario, ["share_within_threshold", "median_distance_m"]
        )
        pages.append(
            _table_page(
                "Kandidatsteder: endring per bydel",
                cand.drop(columns=["Bydelsnummer"]),
                ["«Endring» = med kandidater − i dag; endring i andeler er i prosentpoeng (pp)."],
            )
        )
    definitions = [
        f"{_label(m, threshold)}: {METRIC_HELP[m]}" for m in BYDEL_TABLE_COLUMNS if m in METRIC_HELP
    ]
    sources = [
        f"{ds.title}: {ds.source}, {ds.date or 'udatert'} ({ds.licence}). {ds.url}".strip()
        for ds in (DATASETS[k] for k in carto._table_sources(table))
    ]
    pages += _text_pages(
        "Definisjoner og kilder",
        [
            ("Definisjoner", definitions),
            ("Små tall", [SUPPRESSION_NOTE]),
            ("Kilder", sources),
            (
                "Avstand",
                [table.attrs.get("distance_note", ""), table.attrs.get("population_note", "")],
            ),
        ],
    )
    _number_pages(pages)
    return pages


def export_report(
    out: str | Path,
    study: Study,
    table: pd.DataFrame,
    scenario: pd.DataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    metric: str = "share_within_threshold",
) -> Path:
    """Write the case-document report as one PDF (text kept as real text, DejaVu Sans)."""
    from matplotlib.backends.backend_pdf import PdfPages

    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context(carto.RC_PARAMS):
        pages = report_pages(study, table, scenario, candidates, metric)
        with PdfPages(
            target,
            metadata={"Title": "Dekning av lavterskeltilbud i Oslo", "Creator": "oslo-coverage"},
        ) as pdf:
            for fig in pages:
                pdf.savefig(fig)
    return target


# ---------------------------------------------------------------------- interactive HTML
def folium_overview(bydeler: gpd.GeoDataFrame, services: gpd.GeoDataFrame) -> folium.Map:
    """A plain folium map of the bydeler and the located services (no tile layer: offline)."""
    import folium

    from geo.services import CATEGORIES

    shapes = bydeler.to_crs(settings.DISPLAY_CRS)
    minx, miny, maxx, maxy = shapes.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None)
    folium.GeoJson(
        shapes[["bydel_code", "bydel", "geometry"]].to_json(),
        name="Bydeler",
        style_function=lambda _: {
            "color": carto.INK,
            "weight": 1,
            "fillColor": carto.OSLO_PALETTE["beige"],
            "fillOpacity": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(["bydel"], aliases=["Bydel"]),
    ).add_to(m)
    placed = carto._located(services, None).to_crs(settings.DISPLAY_CRS)
    for _, row in placed.iterrows():
        color, _marker = carto.CATEGORY_STYLE.get(row["category"], (carto.INK, "o"))
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=6,
            color=carto.INK,
            weight=1,
            fill=True,
            fill_color=color,
            fill_opacity=1,
            tooltip=f"{row['name']} ({CATEGORIES.get(row['category'], row['category'])})",
        ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def export_html(m: folium.Map, out: str | Path) -> Path:
    """Write a folium map as one self-contained HTML file that opens offline.

    Raises
    ------
    RuntimeError
        When :mod:`geo.webassets` (which inlines the JS/CSS) is not available.

    """
    try:
        from geo.webassets import standalone_html  # type: ignore[import-not-found]
    except ImportError as exc:
        raise RuntimeError(
            "Frittstående HTML krever geo.webassets (lokale kopier av Leaflet/JS/CSS), som ikke er installert."
        ) from exc
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(standalone_html(m), encoding="utf-8")
    return target


# ---------------------------------------------------------------------- for the app's download buttons
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
) -> bytes:
    """The table export as XLSX/CSV bytes (same output as :func:`export_table`)."""
    return _as_bytes(lambda path: export_table(path, table, scenario, fmt, candidates), fmt)


def report_bytes(
    study: Study,
    table: pd.DataFrame,
    scenario: pd.DataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    metric: str = "share_within_threshold",
) -> bytes:
    """The PDF report as bytes (same output as :func:`export_report`)."""
    return _as_bytes(
        lambda path: export_report(path, study, table, scenario, candidates, metric), "pdf"
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


# ---------------------------------------------------------------------- CLI
def add_cli(subparsers: Any) -> None:
    """Add ``oslo-coverage export map|table|report|html``."""
    from geo.cli import add_common_analysis_args

    export = subparsers.add_parser(
        "export", help="kart, tabeller, rapport og HTML til saksframlegg"
    )
    sub = export.add_subparsers(dest="export_command", required=True)

    p = sub.add_parser("map", help="statisk kart (PNG 300 dpi, PDF, SVG) på A4/A3")
    add_common_analysis_args(p)
    p.add_argument(
        "--kind", choices=MAP_KINDS, default="overview", help="oversikt, temakart eller kandidater"
    )
    p.add_argument("--metric", default="share_within_threshold", help="nøkkeltall i temakartet")
    p.add_argument("--classification", choices=list(carto.CLASSIFIERS), default="naturalbreaks")
    p.add_argument("--classes", type=int, default=5, help="antall klasser i temakartet")
    p.add_argument("--paper", choices=list(carto.PAPER_MM), default="A4")
    p.add_argument("--orientation", choices=["portrait", "landscape"], help="stående/liggende")
    p.add_argument("--format", choices=MAP_FORMATS, help="standard: filendelsen")
    p.add_argument("--dpi", type=float, default=300)
    p.add_argument(
        "--background",
        choices=["plain", "tiles"],
        default="plain",
        help="bakgrunnskart (tiles krever nett)",
    )
    p.add_argument("--title")
    p.add_argument("--subtitle")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_map)

    p = sub.add_parser("table", help="bydelstabell / kandidatsammenligning som XLSX eller CSV")
    add_common_analysis_args(p)
    p.add_argument("--format", choices=TABLE_FORMATS, help="standard: filendelsen")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_table)

    p = sub.add_parser("report", help="PDF-rapport til saksframlegg")
    add_common_analysis_args(p)
    p.add_argument("--metric", default="share_within_threshold")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_report)

    p = sub.add_parser("html", help="interaktivt kart som én HTML-fil som virker uten nett")
    add_common_analysis_args(p)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_html)


def _tables_from_args(
    args: argparse.Namespace,
) -> tuple[Any, pd.DataFrame, pd.DataFrame | None, gpd.GeoDataFrame | None]:
    from geo.cli import (
        _print_problems,
        build_study_and_engine,
        parse_categories,
        threshold_from_args,
        user_weights,
    )
    from geo.metrics import coverage_table
    from geo.services import load_candidates

    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    weights = user_weights(study, args)
    table = coverage_table(
        study, categories, threshold, engine, weights=weights, walk_speed_kmh=args.speed
    )
    scenario = candidates = None
    if args.candidates:
        loaded = load_candidates(args.candidates)
        _print_problems(loaded.problems)
        candidates = loaded.frame
        scenario = coverage_table(
            study,
            categories,
            threshold,
            engine,
            extra_sites=candidates,
            weights=weights,
            walk_speed_kmh=args.speed,
        )
    return study, table, scenario, candidates


def _write_error(exc: OSError) -> int:
    print(f"Kunne ikke skrive filen {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
    return 2


def _cli_map(args: argparse.Namespace) -> int:
    study, table, scenario, candidates = _tables_from_args(args)
    fig = build_map(
        args.kind,
        study,
        table,
        scenario,
        candidates,
        metric=args.metric,
        paper=args.paper,
        orientation=args.orientation,
        method=args.classification,
        k=args.classes,
        background=args.background,
        title=args.title,
        subtitle=args.subtitle,
        categories=table.attrs.get("categories") if args.categories else None,
    )
    try:
        path = export_map(args.out, fig, args.format, args.dpi)
    except OSError as exc:
        return _write_error(exc)
    print(f"Skrev {path}")
    return 0


def _cli_table(args: argparse.Namespace) -> int:
    _, table, scenario, candidates = _tables_from_args(args)
    try:
        path = export_table(args.out, table, scenario, args.format, candidates)
    except OSError as exc:
        return _write_error(exc)
    print(f"Skrev {path}")
    return 0


def _cli_report(args: argparse.Namespace) -> int:
    study, table, scenario, candidates = _tables_from_args(args)
    try:
        path = export_report(args.out, study, table, scenario, candidates, args.metric)
    except OSError as exc:
        return _write_error(exc)
    print(f"Skrev {path}")
    return 0


def _cli_html(args: argparse.Namespace) -> int:
    from geo.cli import build_study_and_engine

    study, _ = build_study_and_engine(args)
    try:
        path = export_html(folium_overview(study.bydeler, study.services), args.out)
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Skrev {path}")
    return 0
