"""The compare tab: the metric table, bar chart and the balance view."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from geo.analysis import balance, privacy
from geo.analysis.concentration import concentration
from geo.analysis.zone_compare import COMPARED_METRICS, compare_zone_sets
from geo.data.study import Study
from geo.data.zones import ZONE_SETS
from geo.distance import DistanceEngine
from geo.labels import (
    FORMATS,
    HIGHER_IS_BETTER,
    METRIC_HELP,
    METRIC_LABELS,
    TABLE_METRICS,
    format_metric,
    metric_kind,
    zone_words,
)
from geo.names import CITY_CODE
from geo.style import OSLO_PALETTE
from geo.workspace import compare as ws
from geo.workspace.settings import AnalysisSettings
from ui.state import (
    drug_scenes,
    load_engine,
    remembered,
    session,
    show_static_table,
    show_table,
    walk_network,
)


def compare_tab(
    study: Study,
    engine: DistanceEngine,
    whatif: Any,
    comparison: ws.CandidateComparison,
    analysis: AnalysisSettings,
) -> None:
    """The metric table of every bydel, a bar chart of one metric and the balance view."""
    with_cands = comparison.combined is not None
    view = (
        "med kandidater"
        if with_cands and st.toggle("Vis tabellen med kandidatene", key="table_with")
        else "i dag"
    )
    table = (
        comparison.combined.table
        if view == "med kandidater" and comparison.combined
        else whatif.baseline
    )
    one, many = zone_words(table.attrs.get("zone_noun"))
    st.subheader(f"{many.capitalize()} sammenlignet ({view})")
    st.caption(
        f"{table.attrs.get('zone_provenance', '')}. {table.attrs.get('study_area', '')}. "
        f"{table.attrs.get('distance_note', '')} {table.attrs.get('population_note', '')}"
    )
    shown = display_table(table, analysis)
    # how each bydel was measured goes first: it qualifies every number beside it
    basis = [c for c in ("distance_basis", "network_share") if c in shown.columns]
    columns = ["zone", *basis] + [c for c in TABLE_METRICS if c in shown.columns and c not in basis]
    order = st.selectbox(
        "Sorter etter",
        ["", *columns[1:]],
        format_func=lambda c: METRIC_LABELS.get(c, c) if c else "tabellens rekkefølge",
        key="compare_sort",
        help="Beste først (størst andel, kortest avstand); hele byen står alltid nederst.",
    )
    rows = shown[shown["zone_code"] != CITY_CODE]
    if order:
        rows = rows.sort_values(order, ascending=not HIGHER_IS_BETTER.get(order, True))
    ordered = pd.concat([rows, shown[shown["zone_code"] == CITY_CODE]])[columns]
    labels = {c: METRIC_LABELS.get(c, c) for c in columns} | {"zone": one.capitalize()}
    show_static_table(
        ordered.rename(columns=labels),
        key="compare_table",
        formats={labels[c]: partial(format_metric, c) for c in columns[1:]},
        help_texts={labels[c]: METRIC_HELP.get(c, "") for c in columns},
        height=640,
    )
    # the charts and the other views are computed and drawn when opened: the table comes first,
    # and the browser needs the chart code (vega, ~1 MB) only then
    bars = st.expander("Søylediagram for ett mål", key="open_bars", on_change="rerun")
    if bars.open:
        with bars:
            bar_chart(table)
    spread = st.expander("Balanse over byen", key="open_balance", on_change="rerun")
    if spread.open:
        with spread:
            balance_section(study, engine, whatif, analysis, table)
    zones = st.expander("Sammenlign soneinndelinger", key="open_zone_sets", on_change="rerun")
    if zones.open:
        with zones:
            zone_set_section(analysis)
    centre = st.expander(
        "Konsentrasjon i området og avstand fra åpne rusmiljøer",
        key="open_concentration",
        on_change="rerun",
    )
    if centre.open:
        with centre:
            concentration_section(study, analysis)


def bar_chart(table: pd.DataFrame) -> None:
    """One metric of every zone as bars, best first."""
    metric = st.selectbox(
        "Søylediagram for",
        TABLE_METRICS,
        format_func=METRIC_LABELS.get,
        key="bar_metric",
        index=TABLE_METRICS.index("share_within_threshold"),
    )
    bars = table[table["zone_code"] != CITY_CODE][["zone", metric]].rename(
        columns={metric: "verdi"}
    )
    best_high = HIGHER_IS_BETTER.get(metric, True)
    st.altair_chart(
        alt.Chart(bars)
        .mark_bar(color=OSLO_PALETTE["dark_blue"])
        .encode(
            x=alt.X("verdi:Q", title=METRIC_LABELS[metric]),
            y=alt.Y("zone:N", sort="-x" if best_high else "x", title=None),
            tooltip=["zone", alt.Tooltip("verdi:Q", format=",.3~f")],
        )
        .properties(height=420),
        width="stretch",
    )
    st.caption(METRIC_HELP.get(metric, ""))


def balance_section(
    study: Study,
    engine: DistanceEngine,
    whatif: Any,
    analysis: AnalysisSettings,
    table: pd.DataFrame,
) -> None:
    """Services against residents per bydel, the Lorenz curve and the balance measures."""
    st.caption(
        "Handlingsplanen ber om at tilbudene spres balansert over byen. Søylene viser hver bydels andel av "
        "tilbudene mot dens andel av innbyggerne: der den mørke søylen er mye lengre enn den lyse, er tilbudene samlet."
    )
    rows = table[table["zone_code"] != CITY_CODE]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "zone": rows["zone"],
                    "andel": rows["share_of_services"],
                    "hva": "Andel av tilbudene",
                }
            ),
            pd.DataFrame(
                {
                    "zone": rows["zone"],
                    "andel": rows["share_of_population"],
                    "hva": "Andel av innbyggerne",
                }
            ),
        ]
    )
    st.altair_chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(
                "zone:N",
                title=None,
                sort=alt.EncodingSortField("andel", op="max", order="descending"),
            ),
            x=alt.X("andel:Q", title="Andel av byen", axis=alt.Axis(format="%")),
            yOffset="hva:N",
            color=alt.Color(
                "hva:N",
                title=None,
                scale=alt.Scale(range=[OSLO_PALETTE["dark_blue"], OSLO_PALETTE["blue"]]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=["zone", "hva", alt.Tooltip("andel:Q", format=".1%")],
        )
        .properties(height=520),
        width="stretch",
    )
    summary = session().balance(study, engine, whatif, analysis)
    lorenz = balance.lorenz_curve(rows["share_within_threshold"], rows["population"])
    diagonal = pd.DataFrame({"cum_pop_share": [0.0, 1.0], "cum_value_share": [0.0, 1.0]})
    st.altair_chart(
        alt.layer(
            alt.Chart(diagonal)
            .mark_line(strokeDash=[4, 4], color=OSLO_PALETTE["dark_blue"])
            .encode(x="cum_pop_share:Q", y="cum_value_share:Q"),
            alt.Chart(lorenz)
            .mark_line(point=True, color=OSLO_PALETTE["red"])
            .encode(
                x=alt.X(
                    "cum_pop_share:Q",
                    title="Andel av innbyggerne (dårligst dekket først)",
                    axis=alt.Axis(format="%"),
                ),
                y=alt.Y("cum_value_share:Q", title="Andel av dekningen", axis=alt.Axis(format="%")),
            ),
        ).properties(height=300, title="Lorenzkurve for andel innen terskel"),
        width="stretch",
    )
    st.caption(
        "Jo lenger kurven ligger under den stiplede linjen, jo skjevere er dekningen fordelt mellom bydelene "
        "(Gini = to ganger arealet mellom dem)."
    )
    show_table(
        summary[["label", "value", "help"]].rename(
            columns={"label": "Mål", "value": "Verdi", "help": "Forklaring"}
        ),
        hide_index=True,
        key="balance_table",
        column_config={"Verdi": st.column_config.NumberColumn(format="%.3f")},
    )


def zone_set_section(analysis: AnalysisSettings) -> None:
    """The same metrics under the chosen zone set and another one, side by side."""
    others = [key for key in ZONE_SETS if key != analysis.zone_set]
    other = st.selectbox(
        "Sammenlign med",
        others,
        index=others.index("forslag-a") if "forslag-a" in others else 0,
        format_func=lambda key: ZONE_SETS[key].label,
        key="compare_against",
    )

    def compute() -> Any:
        cases = []
        for settings in (analysis, replace(analysis, zone_set=other)):
            study, engine = load_engine(settings)
            cases.append((session().study(study), engine))
        return compare_zone_sets(
            cases, list(analysis.categories), analysis.threshold_m, analysis.speed_kmh
        )

    comparison = remembered("zone_sets", (analysis.cache_key(), other), compute)
    columns = st.columns(len(comparison.tables))
    for column, label, table, key in zip(
        columns, comparison.labels, comparison.tables, ("zones_a", "zones_b"), strict=True
    ):
        with column:
            st.markdown(f"**{label}**")
            shown = display_table(table, analysis)[["zone", *COMPARED_METRICS]]
            config = {
                m: st.column_config.NumberColumn(
                    METRIC_LABELS.get(m, m), format=FORMATS["app"][metric_kind(m)]
                )
                for m in COMPARED_METRICS
            }
            config["zone"] = st.column_config.TextColumn("Sone", pinned=True)
            show_table(shown, key=key, hide_index=True, column_config=config)
    for line in comparison.lines():
        st.markdown(f"- {line}")
    show_table(
        comparison.balance.drop(columns=["metric"]).rename(columns={"label": "Balansemål"}),
        key="zones_balance",
        hide_index=True,
    )


def concentration_section(study: Study, analysis: AnalysisSettings) -> None:
    """How concentrated the services are in the study area, and the open drug scenes' distances."""
    st.caption(
        f"{study.study_area.provenance()}. Velg studieområdet «Sentrum og sentrumsbydelene» og "
        "soneinndelingen «Delbydeler» for mandatets spørsmål om spredning sentralt i Oslo."
    )
    result = remembered(
        "concentration",
        (analysis.cache_key(), session().candidates_key()),
        lambda: concentration(
            study, list(analysis.categories), drug_scenes(), session().candidates, walk_network()
        ),
    )
    show_table(
        result.measures.drop(columns=["metric"]).rename(
            columns={
                "label": "Mål",
                "today": "I dag",
                "with_candidates": "Med kandidatene",
                "change": "Endring",
            }
        ),
        key="concentration_table",
        hide_index=True,
    )
    if len(result.scenes):
        show_table(
            result.scenes.rename(
                columns={
                    "area": "Rusmiljø",
                    "placed_from": "Plassert på",
                    "nearest_today": "Nærmeste tilbud i dag",
                    "straight_m_today": "Luftlinje i dag (m)",
                    "walk_m_today": "Gangavstand i dag (m)",
                    "nearest_with": "Nærmeste med kandidatene",
                    "straight_m_with": "Luftlinje med (m)",
                    "walk_m_with": "Gangavstand med (m)",
                }
            ).round(0),
            key="scenes_table",
            hide_index=True,
        )
    for note in result.notes:
        st.caption(note)


def display_table(table: pd.DataFrame, analysis: AnalysisSettings) -> pd.DataFrame:
    """The table as shown: user-data counts under 5 suppressed."""
    if analysis.weight_basis != "innbyggere":
        return privacy.protect_coverage_table(table)
    return table
