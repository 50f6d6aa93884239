"""The print map products: overview, choropleth and candidate comparison."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo import settings
from geo.analysis.privacy import USER_COUNT_COLUMNS, USER_DERIVED_COLUMNS, protect_coverage_table
from geo.data.services import located
from geo.labels import (
    CATEGORIES,
    HIGHER_IS_BETTER,
    METRIC_LABELS,
    NEED_BASIS,
    format_metric,
    format_number,
    metric_label,
    zone_words,
)
from geo.maps.classes import classify, protected_classes
from geo.maps.layers import (
    area_outline,
    centre_extent,
    displaced_entry,
    draw_background,
    draw_candidates,
    draw_inset,
    draw_services,
    draw_zones,
    label_points,
    luminance,
    outline_effect,
    tile_note,
    unplaced_note,
)
from geo.maps.layout import (
    PrintOptions,
    add_title_and_footer,
    apply_limits,
    draw_legend,
    finish_map,
    fit_extent,
    halo_text,
    new_layout,
)
from geo.names import CITY_CODE
from geo.style import INK, OSLO_PALETTE, RC_PARAMS

__all__ = [
    "candidate_map",
    "choropleth_map",
    "overview_map",
    "table_sources",
]


def overview_map(
    zones: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    categories: Sequence[str] | None = None,
    inset: bool = True,
    options: PrintOptions = PrintOptions(),
) -> Figure:
    """Overview of services by category over the bydeler, with a zoomed inset of the centre."""
    shown = located(services, categories)
    paper, background = options.paper, options.background
    orientation = options.orientation or "landscape"
    text = options.text(
        "Lavterskeltilbud i Oslo etter kategori",
        f"{len(shown)} tilbud med kjent plassering · {len(zones)} {zone_words(zones.attrs.get('noun'))[1]}",
        sources=["bydeler_pbe2013", "services"],
        boundary_version=zones.attrs.get("boundary_version", "pbe2013"),
    )
    text.notes = [*text.notes, *unplaced_note(services, categories)]
    with mpl.rc_context(RC_PARAMS):
        layout = new_layout(paper, orientation, 1, inset)
        ax = layout.maps[0]
        limits = fit_extent(ax, zones.total_bounds)
        tiles = draw_background(ax, background)
        text.notes += tile_note(background, tiles)
        boundary = draw_zones(
            ax, zones, "none" if tiles else OSLO_PALETTE["beige"], font_size=layout.pt(6.5)
        )
        entries = draw_services(ax, shown, marker_size=layout.pt(6.5))
        apply_limits(ax, limits)

        centre, half_width = centre_extent(shown)

        def _draw_centre(inset_ax: Axes) -> None:
            x0, x1 = inset_ax.get_xlim()
            y0, y1 = inset_ax.get_ylim()
            draw_zones(
                inset_ax,
                zones,
                OSLO_PALETTE["beige"],
                font_size=layout.pt(7),
                clip_box=(x0, y0, x1, y1),
            )
            draw_services(inset_ax, shown, marker_size=layout.pt(8))

        draw_inset(layout, ax, _draw_centre, centre, half_width)
        finish_map(layout, ax)
        sections: list[tuple[str, Sequence[tuple[Any, str]]]] = [
            (
                "Tilbud (antall på kartet)",
                [*entries, *displaced_entry(ax, shown, layout.pt(6.5))],
            ),
            ("Grenser", [(boundary, "Bydelsgrense")]),
        ]
        if inset:
            rect = Patch(fill=False, edgecolor=INK, linestyle="--", linewidth=1.0)
            sections.append(("Utsnitt", [(rect, "Område vist i utsnittet")]))
        draw_legend(layout, sections)
        add_title_and_footer(layout, text, tiles)
    return layout.fig


def choropleth_map(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    metric: str,
    services: gpd.GeoDataFrame | None = None,
    options: PrintOptions = PrintOptions(),
) -> Figure:
    """Choropleth of one metric of a coverage table over the bydeler, classified for print.

    Counts of people from user data (``table.attrs["weight_basis"] == "brukerdata"``) are
    protected: values 1–4 are written ``"<5"`` on the map and the legend shows rounded class
    bounds (:func:`protected_classes`), never a bydel's exact value.
    """
    if metric not in table.columns:
        raise ValueError(
            f"Tabellen har ikke nøkkeltallet «{metric}». Tilgjengelige: "
            + ", ".join(c for c in table.columns if c in METRIC_LABELS)
        )
    label = metric_label(metric, table.attrs.get("threshold_m"), table.attrs.get("weight_basis"))
    rows = table[table["zone_code"] != CITY_CODE].set_index("zone_code")
    values = zones["zone_code"].map(rows[metric]).to_numpy(dtype=float)
    protected = table.attrs.get("weight_basis") == "brukerdata" and (
        metric in USER_COUNT_COLUMNS or metric in USER_DERIVED_COLUMNS
    )
    shown_table = protect_coverage_table(table) if protected else table
    shown_rows = shown_table[shown_table["zone_code"] != CITY_CODE].set_index("zone_code")
    paper, background, method = options.paper, options.background, options.method
    orientation = options.orientation or "portrait"
    classes = classify(values, metric, method, options.k)
    if protected:
        classes = protected_classes(values, metric, classes)
    colors = classes.colors()
    threshold = table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M)
    text = options.text(
        f"{label} per bydel",
        _metric_subtitle(metric, table),
        sources=table_sources(table),
        boundary_version=table.attrs.get("boundary_version", "pbe2013"),
    )
    direction = HIGHER_IS_BETTER.get(metric)
    with mpl.rc_context(RC_PARAMS):
        layout = new_layout(paper, orientation, 1, False)
        ax = layout.maps[0]
        limits = fit_extent(ax, zones.total_bounds)
        tiles = draw_background(ax, background)
        text.notes = [*text.notes, *tile_note(background, tiles)]
        facecolors = [colors[c] if c >= 0 else (0.85, 0.85, 0.85) for c in classes.index]
        label_colors = [
            "white" if c >= 0 and luminance(colors[c]) < 0.45 else INK for c in classes.index
        ]
        draw_zones(ax, zones, facecolors, labels=False)
        points = label_points(zones.geometry)
        for k_row, (code, name, point) in enumerate(
            zip(zones["zone_code"], zones["zone"], points, strict=True)
        ):
            value = shown_rows[metric].get(code, np.nan) if code in shown_rows.index else np.nan
            value_text = value if isinstance(value, str) else format_metric(metric, float(value))
            color = label_colors[k_row]
            halo_text(
                ax.text,
                point.x,
                point.y,
                f"{name}\n{value_text}",
                fontsize=layout.pt(6.3),
                color=color,
                ha="center",
                va="center",
                zorder=5,
                linespacing=1.15,
                halo=(1.6, INK if color == "white" else "white"),
            )
        svc_entries: list[tuple[Any, str]] = []
        if services is not None:
            svc_entries = draw_services(
                ax, located(services, table.attrs.get("categories")), layout.pt(5.5)
            )
        apply_limits(ax, limits)
        finish_map(layout, ax)
        class_entries: list[tuple[Any, str]] = [
            (
                Patch(facecolor=col, edgecolor=INK, linewidth=0.6),
                f"{lab}  ({n} {'bydel' if n == 1 else 'bydeler'})",
            )
            for col, lab, n in zip(colors, classes.labels, classes.counts, strict=True)
        ]
        if (classes.index < 0).any():
            class_entries.append(
                (Patch(facecolor=(0.85, 0.85, 0.85), edgecolor=INK, linewidth=0.6), "Ingen verdi")
            )
        city = shown_table.loc[shown_table["zone_code"] == CITY_CODE, metric]
        heading = label + (
            ""
            if direction is None
            else (" (høyere er bedre)" if direction else " (lavere er bedre)")
        )
        sections: list[tuple[str, Sequence[tuple[Any, str]]]] = [(heading, class_entries)]
        if len(city):
            city_value = city.iloc[0]
            city_text = (
                city_value
                if isinstance(city_value, str)
                else format_metric(metric, float(city_value))
            )
            sections.append(("Hele byen", [(Patch(alpha=0), city_text)]))
        sections.append(("Grenser", [(Line2D([], [], color=INK, linewidth=0.8), "Bydelsgrense")]))
        if svc_entries:
            sections.append(("Tilbud", svc_entries))
        method_text = {
            "naturalbreaks": "naturlige brudd (Fisher–Jenks)",
            "quantiles": "kvantiler (like mange bydeler per klasse)",
            "equalinterval": "like intervaller",
        }.get(classes.method, classes.method)
        method_text += f", {len(classes.bins)} klasser"
        if protected:
            method_text += ",\navrundede grenser (små tall skjules)"
        sections.append(("Klasseinndeling", [(Patch(alpha=0), method_text)]))
        draw_legend(layout, sections)
        text.notes = [
            *text.notes,
            f"Terskel {format_number(threshold)} m. " + (table.attrs.get("distance_note") or ""),
        ]
        add_title_and_footer(layout, text, tiles)
    return layout.fig


def candidate_map(
    zones: gpd.GeoDataFrame,
    services: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    metric: str = "share_within_threshold",
    service_areas: tuple[gpd.GeoSeries, gpd.GeoSeries] | None = None,
    options: PrintOptions = PrintOptions(),
) -> Figure:
    """Two maps side by side: today and with the candidate sites, in the same classes.

    Service areas (the area within the threshold of a site) are drawn for the existing sites and
    for the candidates; by default they are straight-line circles of the threshold radius, or
    pass ``service_areas=(existing, candidates)`` (e.g. walking isochrones).
    """
    categories = baseline.attrs.get("categories")
    threshold = float(baseline.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M))
    sites = located(services, categories)
    cand = located(candidates, None)
    label = metric_label(metric, threshold)
    both = pd.concat([baseline, scenario])
    both = both[both["zone_code"] != CITY_CODE]
    classes = classify(both[metric].to_numpy(dtype=float), metric)
    colors = classes.colors()
    if service_areas is None:
        existing_area = gpd.GeoSeries([sites.geometry.buffer(threshold).union_all()], crs=sites.crs)
        candidate_area = gpd.GeoSeries([cand.geometry.buffer(threshold).union_all()], crs=cand.crs)
        area_kind = "luftlinje"
    else:
        existing_area, candidate_area = service_areas
        area_kind = "gangavstand"

    def city_value(table: pd.DataFrame) -> str:
        value = table.loc[table["zone_code"] == CITY_CODE, metric]
        return format_metric(metric, float(value.iloc[0])) if len(value) else "–"

    fictitious = "coord_quality" in cand.columns and (cand["coord_quality"] == "fiktiv").any()
    paper, orientation = options.paper, options.orientation or "landscape"
    text = options.text(
        "Dekning i dag og med kandidatsteder",
        f"{label}: i dag {city_value(baseline)}, "
        f"med {len(cand)} kandidat{'er' if len(cand) != 1 else ''} {city_value(scenario)} (hele byen)",
        sources=table_sources(baseline),
        extra_sources=[
            "Kandidater: "
            + ("FIKTIVE eksempler (data/candidates_example.csv)" if fictitious else "brukerens fil")
        ],
        boundary_version=baseline.attrs.get("boundary_version", "pbe2013"),
    )
    if fictitious:
        text.notes = [
            *text.notes,
            "Kandidatene er FIKTIVE eksempler for å vise metoden, ikke forslag fra Oslo kommune.",
        ]
    text.notes = [*text.notes, baseline.attrs.get("distance_note", "")]
    with mpl.rc_context(RC_PARAMS):
        layout = new_layout(
            paper, orientation, 2, False, side_fraction=0.24 if orientation == "landscape" else 0.2
        )
        bounds = zones.total_bounds
        for ax, table, heading, with_candidates in (
            (layout.maps[0], baseline, "I dag", False),
            (layout.maps[1], scenario, "Med kandidater", True),
        ):
            limits = fit_extent(ax, bounds, 0.02)
            rows = table[table["zone_code"] != CITY_CODE].set_index("zone_code")
            values = zones["zone_code"].map(rows[metric]).to_numpy(dtype=float)
            index = classify(values, metric, bins=classes.bins).index
            draw_zones(
                ax,
                zones,
                [colors[c] if c >= 0 else (0.85, 0.85, 0.85) for c in index],
                labels=False,
            )
            area_outline(ax, existing_area, OSLO_PALETTE["green"], "-")
            site_entries = draw_services(ax, sites, marker_size=layout.pt(4.5))
            if with_candidates:
                area_outline(ax, candidate_area, OSLO_PALETTE["red"], "--")
                draw_candidates(ax, cand, layout.pt(9), layout.pt(6.5))
            apply_limits(ax, limits)
            ax.set_title(
                f"{heading}: {city_value(table)}",
                fontsize=layout.pt(9.5),
                color=INK,
                loc="left",
                fontweight="bold",
                pad=4,
            )
            finish_map(layout, ax, north=not with_candidates)
        class_entries = [
            (Patch(facecolor=col, edgecolor=INK, linewidth=0.6), lab)
            for col, lab in zip(colors, classes.labels, strict=True)
        ]
        area_entries = [
            (
                Line2D(
                    [],
                    [],
                    color=OSLO_PALETTE["green"],
                    linewidth=1.6,
                    path_effects=outline_effect(),
                ),
                f"Innen {format_number(threshold)} m fra dagens\ntilbud ({area_kind})",
            ),
            (
                Line2D(
                    [],
                    [],
                    color=OSLO_PALETTE["red"],
                    linewidth=1.6,
                    linestyle="--",
                    path_effects=outline_effect(),
                ),
                f"Innen {format_number(threshold)} m fra\nkandidat ({area_kind})",
            ),
        ]
        names = cand["name"] if "name" in cand.columns else pd.Series([""] * len(cand))
        cand_entries = [
            (
                Line2D(
                    [],
                    [],
                    linestyle="",
                    marker="*",
                    markersize=layout.pt(9),
                    markerfacecolor=OSLO_PALETTE["red"],
                    markeredgecolor=INK,
                ),
                f"{k + 1}  " + "\n    ".join(textwrap.wrap(str(name) or f"Kandidat {k + 1}", 34)),
            )
            for k, name in enumerate(names)
        ]
        draw_legend(
            layout,
            [
                (f"{label} per bydel", class_entries),
                ("Dekningsområder", area_entries),
                ("Kandidater", cand_entries),
                ("Dagens tilbud", site_entries),
            ],
        )
        add_title_and_footer(layout, text)
    return layout.fig


def table_sources(table: pd.DataFrame) -> list[str]:
    """Dataset keys behind a coverage table (OSM only when the walking network was used)."""
    keys = ["bydeler_pbe2013", "population_series"]
    grid = {"100m": "population_grid_100m", "250m": "population_grid_250m"}
    if table.attrs.get("demand_method") in grid:
        keys.append(grid[table.attrs["demand_method"]])
    if table.attrs.get("weight_basis") == NEED_BASIS:
        keys.append("need_indicators")
    keys.append("services")
    if table.attrs.get("distance_kind") == "network":
        keys.append("walk_network")
    return keys


def _metric_subtitle(metric: str, table: pd.DataFrame) -> str:

    cats = table.attrs.get("categories") or list(CATEGORIES)
    cat_text = (
        "alle kategorier"
        if len(cats) == len(CATEGORIES)
        else ", ".join(CATEGORIES.get(c, c) for c in cats)
    )
    threshold = table.attrs.get("threshold_m", settings.DEFAULT_THRESHOLD_M)
    distance = "gangnett" if table.attrs.get("distance_kind") == "network" else "luftlinje"
    weight = (
        "brukerdata"
        if table.attrs.get("weight_basis") == "brukerdata"
        else f"innbyggere 1.1.{table.attrs.get('population_year', '')}"
    )
    return (
        f"Tilbud: {cat_text} · terskel {format_number(threshold)} m ({distance}) · vekt: {weight}"
    )
