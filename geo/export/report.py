"""The PDF report for case documents: settings, maps, tables, definitions and sources."""

from __future__ import annotations

import datetime as _dt
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geo import settings
from geo.analysis.privacy import SUPPRESSION_NOTE, protect_coverage_table
from geo.analysis.provenance import settings_lines
from geo.analysis.zone_compare import ZoneComparison
from geo.data.datasets import DATASETS
from geo.data.study import Study
from geo.export.figures import build_map
from geo.export.tables import (
    BYDEL_TABLE_COLUMNS,
    candidate_comparison,
    comparison_table,
    unplaced_services,
)
from geo.labels import METRIC_HELP, format_number, metric_kind, metric_label
from geo.maps.compose import table_sources
from geo.maps.layout import PrintOptions, paper_size_mm
from geo.names import CITY_CODE
from geo.style import INK, OSLO_PALETTE, RC_PARAMS

__all__ = [
    "export_report",
    "report_pages",
]


_A4 = paper_size_mm("A4", "portrait")


def _page(title: str | None = None) -> tuple[Figure, float]:
    """A blank A4 portrait page; returns it and the y (figure fraction) below the title."""
    fig = Figure(figsize=(_A4[0] / 25.4, _A4[1] / 25.4))
    y = 1 - 15 / _A4[1]
    if title:
        fig.text(15 / _A4[0], y, title, fontsize=15, fontweight="bold", color=INK, va="top")
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
            fig.text(left, y, heading, fontsize=11, fontweight="bold", color=INK, va="top")
            y -= 1.6 * line
        for paragraph in paragraphs:
            for text_line in textwrap.wrap(paragraph, chars) or [""]:
                if y - line < bottom:
                    fig, y = _page(title + " (forts.)")
                    pages.append(fig)
                fig.text(left, y, text_line, fontsize=size, color=INK, va="top")
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
            cell.set_facecolor(INK)
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
            cell.set_facecolor(OSLO_PALETTE["beige"])
        if r > 0 and frame.columns[c] == "Bydel":
            cell.get_text().set_horizontalalignment("left")
    y_note = 0.185
    for note in notes:
        for text_line in textwrap.wrap(note, 125):
            if y_note < 0.03:
                break
            fig.text(15 / _A4[0], y_note, text_line, fontsize=7, color=INK, va="top")
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
        if metric_kind(metric) == "share":  # a change of a share is in percentage points
            return sign + format_number(100 * float(value), 1) + " pp"
        return sign + _cell_text(metric, value)
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if metric in ("zone_code", "zone"):
        return str(value)
    if isinstance(value, (int, float, np.number)) and metric_kind(metric) == "share":
        return format_number(100 * float(value), 1) + " %"
    if (
        metric.endswith("_m")
        or metric in ("population", "residents_within_threshold")
        or metric.startswith("n_")
    ):
        return format_number(float(value), 0)
    return format_number(float(value), 2)


def _basis_lines(table: pd.DataFrame) -> list[str]:
    """One line per zone: how its distances were measured (the share the network reaches)."""
    lines = []
    for zone, basis, share in zip(
        table["zone"], table["distance_basis"], table["network_share"], strict=True
    ):
        reach = f" (gangnettet når {_cell_text('network_share', share)})"
        lines.append(f"{zone}: {basis}{reach if 'bare' not in str(basis) else ''}")
    return lines


def _zone_comparison_page(comparison: ZoneComparison, threshold: float) -> Figure:
    """The metrics under two zone sets in one table, with the zones without any service."""
    metrics = ["population", "n_services", "share_within_threshold", "median_distance_m"]
    long = comparison.side_by_side()
    names = dict(zip(comparison.labels, comparison.names, strict=True))
    frame = pd.DataFrame({"Inndeling": long["zone_set"].map(names), "Sone": long["zone"]})
    for m in metrics:
        frame[metric_label(m, threshold)] = long[m].to_numpy()
    frame.attrs["metrics"] = {metric_label(m, threshold): m for m in metrics}
    gini = comparison.balance.set_index("metric").loc["gini"]
    notes = [
        *comparison.labels,
        *comparison.lines(),
        "Gini for andel innen terskel: "
        + " → ".join(f"{name} {gini[name]:.3f}".replace(".", ",") for name in comparison.names),
    ]
    return _table_page("Soneinndelinger side om side", frame, notes)


def _number_pages(pages: list[Figure]) -> None:
    made = _dt.date.today().strftime("%d.%m.%Y")
    for k, fig in enumerate(pages, start=1):
        w, _ = fig.get_size_inches()
        fig.text(
            1 - 10 / (w * 25.4),
            6 / _A4[1],
            f"Side {k} av {len(pages)} · oslo-coverage · {made}",
            fontsize=7,
            color=INK,
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
    zone_comparison: ZoneComparison | None = None,
) -> list[Figure]:
    """The report's pages as figures (A4 portrait; the candidate map landscape).

    With ``zone_comparison`` a page puts the metrics under two zone sets side by side.
    """
    threshold = float(table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M))
    city = table[table["zone_code"] == CITY_CODE].iloc[0]
    protected = protect_coverage_table(table)
    shown_city = protected[protected["zone_code"] == CITY_CODE].iloc[0]
    key_numbers = [
        f"{metric_label(m, threshold)}: {_cell_text(m, shown_city[m])}"
        for m in (
            "population",
            "n_services",
            "share_within_threshold",
            "median_distance_m",
            "p90_distance_m",
        )
    ]
    if scenario is not None:
        new_city = scenario[scenario["zone_code"] == CITY_CODE].iloc[0]
        key_numbers.append(
            f"Med {len(candidates) if candidates is not None else ''} kandidatsteder: "
            f"{metric_label('share_within_threshold', threshold)} {_cell_text('share_within_threshold', new_city['share_within_threshold'])} "
            f"(i dag {_cell_text('share_within_threshold', city['share_within_threshold'])})."
        )
    contents = [
        "Innstillinger og nøkkeltall",
        "Oversiktskart over tilbudene",
        f"Temakart: {metric_label(metric, threshold)}",
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
    if "distance_basis" in table.columns:
        blocks.append(("Avstandsgrunnlag per sone", _basis_lines(table)))
    unplaced = unplaced_services(study.services)
    if len(unplaced):
        blocks.append(
            (
                f"Ikke plassert ({len(unplaced)} tilbud, teller ikke i målene)",
                [
                    f"{name} ({category}): {address or 'uten adresse'}"
                    for name, category, address in zip(
                        unplaced["Navn"], unplaced["Kategori"], unplaced["Adresse"], strict=True
                    )
                ],
            )
        )
    if len(study.problems):
        blocks.append(("Merknader til tjenesteregisteret", [str(p) for p in study.problems[:10]]))
    pages = _text_pages(title, blocks)
    pages.append(
        build_map("overview", study, options=PrintOptions(paper="A4", orientation="portrait"))
    )
    pages.append(
        build_map(
            "choropleth",
            study,
            table,
            metric=metric,
            options=PrintOptions(paper="A4", orientation="portrait"),
        )
    )
    comparison = comparison_table(
        table.drop(columns=["network_share", "distance_basis"], errors="ignore")
    )
    pages.append(
        _table_page(
            "Sammenligning av bydelene",
            comparison.drop(columns=comparison.columns[0]),
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
                options=PrintOptions(paper="A4", orientation="landscape"),
            )
        )
        cand = candidate_comparison(
            table, scenario, ["share_within_threshold", "median_distance_m"]
        )
        pages.append(
            _table_page(
                "Kandidatsteder: endring per bydel",
                cand.drop(columns=cand.columns[0]),
                ["«Endring» = med kandidater − i dag; endring i andeler er i prosentpoeng (pp)."],
            )
        )
    if zone_comparison is not None:
        pages.append(_zone_comparison_page(zone_comparison, threshold))
    definitions = [
        f"{metric_label(m, threshold)}: {METRIC_HELP[m]}"
        for m in BYDEL_TABLE_COLUMNS
        if m in METRIC_HELP
    ]
    sources = [
        f"{ds.title}: {ds.source}, {ds.date or 'udatert'} ({ds.licence}). {ds.url}".strip()
        for ds in (DATASETS[k] for k in table_sources(table))
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
    zone_comparison: ZoneComparison | None = None,
) -> Path:
    """Write the case-document report as one PDF (text kept as real text, DejaVu Sans)."""
    from matplotlib.backends.backend_pdf import PdfPages

    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context(RC_PARAMS):
        pages = report_pages(
            study, table, scenario, candidates, metric, zone_comparison=zone_comparison
        )
        with PdfPages(
            target,
            metadata={"Title": "Dekning av lavterskeltilbud i Oslo", "Creator": "oslo-coverage"},
        ) as pdf:
            for fig in pages:
                pdf.savefig(fig)
    return target
