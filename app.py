"""Oslo-dekning: the planners' Streamlit app. Start with ``bash dev app`` (``streamlit run app.py``).

This file only wires widgets to the :mod:`geo` library; every number comes from there.
"""

from __future__ import annotations

import os
import time
from typing import Any

import altair as alt
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import balance, export, maps, privacy, settings, uploads
from geo import workspace as ws
from geo.boundaries import BOUNDARY_VERSIONS, DEFAULT_VERSION, load_delbydeler
from geo.distance import DistanceEngine
from geo.geocode import GeocodeUnavailableError, search_address
from geo.io import InputError, LoadResult, Problem, numeric_columns, problems_frame, read_any
from geo.metrics import HIGHER_IS_BETTER, METRIC_HELP, METRIC_LABELS, Study
from geo.names import CITY_CODE
from geo.scenarios import Scenario, ScenarioNotFoundError, ScenarioStore
from geo.services import CATEGORIES
from geo.siting import chosen_sites, current_balance, suggest_sites

st.set_page_config(page_title="Oslo-dekning – lavterskeltilbud", page_icon="🗺️", layout="wide")

MAP_METRICS = [
    "share_within_threshold",
    "median_distance_m",
    "p90_distance_m",
    "services_per_10k",
    "n_services",
    "location_quotient",
    "population",
]
TABLE_METRICS = [
    "population",
    "n_services",
    "services_per_10k",
    "residents_within_threshold",
    "share_within_threshold",
    "median_distance_m",
    "p90_distance_m",
    "median_walk_min",
    "share_of_services",
    "share_of_population",
    "location_quotient",
]
TILES = {
    "none": "Ingen (virker uten internett)",
    "osm": "OpenStreetMap",
    "kartverket": "Kartverket gråtone",
}
DISTANCES = {"straight": "Luftlinje", "network": "Gangnett (OSM)"}


# ---------------------------------------------------------------------- shared, cached data
@st.cache_resource(show_spinner="Laster grenser, befolkning og tjenester …")
def load_study(boundary_version: str) -> Study:
    """Reference data, loaded once per server and shared read-only by all sessions."""
    return Study.load(boundary_version=boundary_version)


@st.cache_resource(show_spinner="Forbereder avstandsberegning …")
def load_engine(
    boundary_version: str, distance: str, speed_kmh: float
) -> tuple[Study, DistanceEngine]:
    """The study and its distance engine (network when present, else straight line with a note)."""
    return load_study(boundary_version).with_engine(distance, speed_kmh)


@st.cache_resource(show_spinner=False)
def load_delbydel_outlines() -> gpd.GeoDataFrame | None:
    """Delbydel polygons for the optional outline layer (``None`` when the file is missing)."""
    try:
        return load_delbydeler()
    except Exception:  # a missing optional layer must not stop the app
        return None


@st.cache_resource(show_spinner=False)
def scenario_store() -> ScenarioStore:
    """The shared scenario store (SQLite, safe for several sessions)."""
    return ScenarioStore()


# ---------------------------------------------------------------------- session state
def state() -> Any:
    """Per-session state with defaults (nothing here is shared between planners)."""
    ss = st.session_state
    if "candidates" not in ss:  # (a GeoDataFrame is not cheap to build on every call)
        ss["candidates"] = ws.empty_candidates()
    ss.setdefault("extra_services", None)
    ss.setdefault("user_data", None)
    ss.setdefault("problems", {})
    ss.setdefault("seen_uploads", set())
    ss.setdefault("whatif", None)
    ss.setdefault("scenario_cache", {})
    ss.setdefault("last_click", None)
    ss.setdefault("messages", [])
    ss.setdefault("address_hits", [])
    ss.setdefault("suggestion", None)
    ss.setdefault("export_file", None)
    return ss


def flash(kind: str, text: str) -> None:
    """A message shown once, on the next run (survives ``st.rerun``)."""
    state().messages.append((kind, text))


def show_flashes() -> None:
    for kind, text in state().messages:
        getattr(st, kind)(text)
    state().messages = []


def show_table(frame: pd.DataFrame, key: str, **kwargs: Any) -> None:
    """A sortable table in a keyed container (so tests and styles can find it); attrs dropped."""
    shown = frame.copy()
    shown.attrs = {}
    with st.container(key=key):
        st.dataframe(shown, **kwargs)


# ---------------------------------------------------------------------- sidebar
def sidebar() -> ws.AnalysisSettings:
    """Analysis settings and own data; returns the chosen settings."""
    sb = st.sidebar
    sb.title("Oslo-dekning")
    sb.caption("Lavterskel rus- og skadereduksjonstilbud mot bydeler og befolkning.")
    cats = sb.multiselect(
        "Tjenestekategorier",
        list(CATEGORIES),
        placeholder="Velg kategorier",
        default=st.session_state.get("cats_default", ["brukerrom"]),
        format_func=CATEGORIES.get,
        help="Hvilke tilbud som teller som «et tilbud» i målene.",
        key="cats",
    )
    distance = sb.radio(
        "Avstand",
        list(DISTANCES),
        format_func=DISTANCES.get,
        horizontal=True,
        key="distance",
        help="Gangnett krever et lagret gangnett i datamappen; ellers brukes luftlinje, og det står i alle resultater.",
    )
    threshold = sb.slider(
        "Terskel (meter)",
        100,
        2000,
        500,
        50,
        key="threshold",
        help="Avstanden innbyggerne regnes som «innen rekkevidde» innenfor.",
    )
    speed = sb.number_input(
        "Ganghastighet (km/t)", 2.0, 7.0, settings.DEFAULT_WALK_SPEED_KMH, 0.5, key="speed"
    )
    sb.caption(
        f"{threshold} m ≈ {threshold / settings.walk_metres_per_minute(speed):.0f} min gange".replace(
            ".", ","
        )
    )
    user = state().user_data
    bases = ["innbyggere"] + (numeric_columns(user.frame) if user is not None else [])
    basis = sb.selectbox(
        "Befolkningsgrunnlag",
        bases,
        format_func=lambda b: "Innbyggere (SSB)" if b == "innbyggere" else f"Brukerdata: {b}",
        key="basis",
        help="Innbyggere, eller en tallkolonne fra opplastede brukerdata (spredt som innbyggerne i bydelen).",
    )
    version = sb.selectbox(
        "Grenseversjon",
        list(BOUNDARY_VERSIONS),
        index=list(BOUNDARY_VERSIONS).index(DEFAULT_VERSION),
        format_func=lambda v: (
            f"{v} – {BOUNDARY_VERSIONS[v].label}" if hasattr(BOUNDARY_VERSIONS[v], "label") else v
        ),
        key="boundary_version",
    )
    metric = sb.selectbox(
        "Kartet farges etter",
        MAP_METRICS,
        format_func=METRIC_LABELS.get,
        key="metric",
        help=METRIC_HELP.get(st.session_state.get("metric", MAP_METRICS[0]), ""),
    )
    with sb.expander("Egne data", expanded=False):
        st.caption(
            f"{uploads.upload_limit_text()} CSV (komma/semikolon), XLSX, "
            "GeoJSON, GeoPackage eller zippet Shapefile."
        )
        upload_box("services", "Tjenester (legges til registeret)")
        upload_box("candidates", "Kandidatsteder")
        upload_box("userdata", "Brukerdata (besøk, brukere per bydel, hendelser)")
        if st.button("Last FIKTIVE eksempelkandidater", key="load_example"):
            load_example_candidates()
    if not cats:
        sb.warning("Velg minst én kategori; bruker brukerrom.")
        cats = ["brukerrom"]
    return ws.AnalysisSettings(
        categories=tuple(cats),
        distance=distance,
        threshold_m=float(threshold),
        speed_kmh=float(speed),
        weight_basis=basis,
        boundary_version=version,
        metric=metric,
    )


def upload_box(kind: str, label: str) -> None:
    """One uploader; a new file is read once, its problems kept, good rows merged."""
    file = st.file_uploader(label, key=f"upload_{kind}")
    if file is not None and file.file_id not in state().seen_uploads:
        state().seen_uploads.add(file.file_id)
        result = uploads.read_upload(file.name, file.getvalue(), kind)
        accept_upload(kind, file.name, result)
    entry = state().problems.get(kind)
    if entry is None:
        return
    level, status, problems = entry
    with st.container(key=f"problems_{kind}"):
        getattr(st, level)(status)
        if len(problems):
            name = uploads.safe_text(problems.attrs.get("file", "filen"))
            st.markdown(f"**Problemer i {name}** ({len(problems)})")
            # a plain table: readable, escaped, and capped
            st.table(problems.head(200).astype(str))
            if len(problems) > 200:
                st.caption(f"Viser 200 av {len(problems)} problemer.")


def accept_upload(kind: str, name: str, result: LoadResult) -> None:
    """Merge the good rows of an upload; what was loaded before is kept when nothing is good."""
    problems = result.problems_frame()
    problems.attrs["file"] = name
    shown_name = uploads.safe_text(name)
    frame = result.frame
    good = len(frame)
    if not good:
        state().problems[kind] = (
            "error",
            f"Ingen brukbare rader i {shown_name}; det du hadde fra før er beholdt.",
            problems,
        )
        return
    if kind == "services":
        before = state().extra_services
        state().extra_services = (
            frame if before is None else pd.concat([before, frame], ignore_index=True)
        )
        state().whatif = None
    elif kind == "candidates":
        study = load_study(st.session_state.get("boundary_version", DEFAULT_VERSION))
        cands, notes = ws.candidates_from_sites(
            frame, state().candidates, study.bydeler, "brukerrom", f"fil {name}"
        )
        state().candidates = cands
        for note in notes[:5]:
            flash("warning", note)
    else:
        state().user_data = result
        state().whatif = None
    state().problems[kind] = (
        "success",
        f"{shown_name}: {good} rader lest, {len(result.errors)} hoppet over.",
        problems,
    )


def load_example_candidates() -> None:
    study = load_study(st.session_state.get("boundary_version", DEFAULT_VERSION))
    result = uploads.read_upload(
        "candidates_example.csv",
        (settings.PROJECT_ROOT / "data" / "candidates_example.csv").read_bytes(),
        "candidates",
    )
    cands, _notes = ws.candidates_from_sites(
        result.frame, state().candidates, study.bydeler, "brukerrom", "FIKTIVT eksempel"
    )
    state().candidates = cands
    flash(
        "info", "Eksempelkandidatene er FIKTIVE (stasjonspunkter), ikke forslag fra Oslo kommune."
    )


# ---------------------------------------------------------------------- analysis
def current_analysis(analysis: ws.AnalysisSettings) -> tuple[Study, DistanceEngine, Any]:
    """Study, engine and this session's what-if engine for the settings (rebuilt when they change)."""
    study, engine = load_engine(analysis.boundary_version, analysis.distance, analysis.speed_kmh)
    study = ws.study_with_services(study, state().extra_services)
    user = state().user_data
    key = (
        analysis.categories,
        analysis.distance,
        analysis.threshold_m,
        analysis.speed_kmh,
        analysis.weight_basis,
        analysis.boundary_version,
        id(state().extra_services),
        id(user),
    )
    cached = state().whatif
    if cached is None or cached[0] != key:
        weights = ws.user_weights(
            study,
            user.frame if user else None,
            analysis.weight_basis,
            user.kind if user else "aggregate",
        )
        state().whatif = (key, ws.build_whatif(study, engine, analysis, weights))
        state().scenario_cache = {}
    return study, engine, state().whatif[1]


def display_table(table: pd.DataFrame, analysis: ws.AnalysisSettings) -> pd.DataFrame:
    """The table as shown: user-data counts under 5 suppressed."""
    if analysis.weight_basis != "innbyggere":
        return privacy.protect_coverage_table(table)
    return table


# ---------------------------------------------------------------------- map tab
def apply_map_click(study: Study, analysis: ws.AnalysisSettings) -> None:
    """Add or move a candidate where the planner clicked (the map's value from the last run)."""
    value = st.session_state.get("kart") or {}
    click = value.get("last_clicked") if isinstance(value, dict) else None
    if not click:
        return
    point = (round(float(click["lat"]), 6), round(float(click["lng"]), 6))
    if point == state().last_click:
        return
    state().last_click = point
    mode = st.session_state.get("click_mode", "add")
    x, y = maps.map_click_to_xy(*point)
    try:
        if mode == "move" and st.session_state.get("move_id"):
            state().candidates = ws.move_candidate(
                state().candidates, st.session_state["move_id"], x, y, study.bydeler
            )
        elif mode == "add":
            state().candidates = ws.add_candidate(
                state().candidates, x, y, study.bydeler, category=analysis.candidate_category
            )
    except ValueError as exc:
        st.warning(str(exc))


def map_tab(
    study: Study,
    engine: DistanceEngine,
    whatif: Any,
    comparison: ws.CandidateComparison,
    analysis: ws.AnalysisSettings,
) -> None:
    left, right = st.columns([3, 2], gap="medium")
    with left:
        opts = st.columns(3)
        tiles = opts[0].selectbox("Bakgrunnskart", list(TILES), format_func=TILES.get, key="tiles")
        show_delbydeler = opts[1].checkbox("Delbydeler", key="show_delbydeler")
        show_areas = opts[2].checkbox(
            "Dekningsområder",
            key="show_areas",
            help="Områder innen terskelen rundt tilbud og kandidater.",
        )
        table = comparison.combined.table if comparison.combined is not None else whatif.baseline
        areas = None
        if show_areas:
            sites = ws.located_sites(whatif, state().candidates)
            areas = ws.service_areas(engine, sites, analysis.threshold_m)
        user = state().user_data
        m = maps.coverage_map(
            study.bydeler,
            table=table,
            metric=analysis.metric,
            services=whatif.services,
            candidates=state().candidates,
            delbydeler=load_delbydel_outlines() if show_delbydeler else None,
            service_areas=areas,
            user_points=user.frame if user is not None and user.kind == "points" else None,
            tiles=tiles,
            categories=list(analysis.categories),
        )
        st_folium(
            m, key="kart", height=560, use_container_width=True, returned_objects=["last_clicked"]
        )
        st.caption(
            f"Kartet viser {METRIC_LABELS[analysis.metric].lower()} "
            + ("med kandidatene. " if len(state().candidates) else "i dag. ")
            + (engine.note or "")
        )
    with right:
        candidate_panel(study, analysis)
    candidate_results(comparison, analysis)


def candidate_panel(study: Study, analysis: ws.AnalysisSettings) -> None:
    st.subheader("Kandidatsteder")
    st.radio(
        "Klikk i kartet",
        ["add", "move", "none"],
        format_func={
            "add": "legger til kandidat",
            "move": "flytter valgt kandidat",
            "none": "gjør ingenting",
        }.get,
        key="click_mode",
        horizontal=True,
    )
    cands = state().candidates
    if st.session_state.get("click_mode") == "move" and len(cands):
        st.selectbox(
            "Kandidat som flyttes",
            cands["id"].tolist(),
            format_func=lambda i: f"{i}: {cands.loc[cands['id'] == i, 'name'].iloc[0]}",
            key="move_id",
        )
    with st.form("coords", clear_on_submit=True, border=False):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        text = c1.text_input(
            "Koordinater", placeholder="59.9275, 10.7590  eller  597700 6643300", key="coord_text"
        )
        if c2.form_submit_button("Legg til"):
            try:
                x, y = ws.parse_point_text(text)
                state().candidates = ws.add_candidate(
                    state().candidates,
                    x,
                    y,
                    study.bydeler,
                    category=analysis.candidate_category,
                    source="koordinater",
                )
                st.rerun()
            except ValueError as exc:
                st.warning(str(exc))
    with st.form("address", border=False):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        query = c1.text_input("Adresse", placeholder="f.eks. Storgata 36", key="address_text")
        if c2.form_submit_button("Søk"):
            try:
                state().address_hits = search_address(query)
                if not state().address_hits:
                    st.info("Fant ingen adresse i Oslo med den teksten.")
            except GeocodeUnavailableError as exc:
                st.warning(
                    f"Adressesøk er ikke tilgjengelig nå: {exc} Bruk koordinater eller klikk i kartet."
                )
    hits = state().address_hits
    if hits:
        pick = st.selectbox(
            "Treff",
            range(len(hits)),
            format_func=lambda i: f"{hits[i].address}, {hits[i].postcode}",
            key="address_pick",
        )
        if st.button("Legg til adressen", key="add_address"):
            hit = hits[pick]
            try:
                state().candidates = ws.add_candidate(
                    state().candidates,
                    hit.x,
                    hit.y,
                    study.bydeler,
                    hit.address,
                    analysis.candidate_category,
                    "adressesøk (Kartverket)",
                )
                state().address_hits = []
                st.rerun()
            except ValueError as exc:
                st.warning(str(exc))
    if not len(cands):
        st.info(
            "Ingen kandidater ennå. Klikk i kartet, skriv koordinater eller en adresse, eller last opp en liste."
        )
        return
    edit = pd.DataFrame(
        {"id": cands["id"], "Navn": cands["name"], "Kilde": cands["source"], "Fjern": False}
    )
    edited = st.data_editor(
        edit,
        hide_index=True,
        key="cand_editor",
        disabled=["id", "Kilde"],
        column_config={
            "Fjern": st.column_config.CheckboxColumn(help="Kryss av for å fjerne kandidaten")
        },
    )
    changed = False
    out = cands
    for _, row in edited.iterrows():
        old = cands.loc[cands["id"] == row["id"], "name"].iloc[0]
        if str(row["Navn"]) != str(old):
            out = ws.rename_candidate(out, row["id"], row["Navn"])
            changed = True
    remove = edited.loc[edited["Fjern"], "id"].tolist()
    if remove:
        out = ws.remove_candidates(out, remove)
        changed = True
    if changed:
        state().candidates = out
        st.session_state.pop("cand_editor", None)
        st.rerun()
    if st.button("Fjern alle kandidater", key="clear_candidates"):
        state().candidates = ws.empty_candidates()
        st.rerun()


def candidate_results(comparison: ws.CandidateComparison, analysis: ws.AnalysisSettings) -> None:
    if not len(comparison.summary):
        return
    st.subheader("Hva kandidatene endrer")
    who = "innbyggere" if analysis.weight_basis == "innbyggere" else "brukere (vekt)"
    st.caption(
        f"Hver kandidat alene mot dagens tilbud ({', '.join(CATEGORIES[c] for c in analysis.categories)}), "
        f"og alle sammen. «Nye innen terskel» er {who} som får et tilbud innen {analysis.threshold_m:.0f} m. "
        f"Beregnet på {comparison.elapsed_s * 1000:.0f} ms."
    )
    summary = comparison.summary.drop(columns=["id"]).rename(columns=ws.SUMMARY_LABELS)
    show_table(
        summary,
        hide_index=True,
        key="cand_summary",
        column_config={
            ws.SUMMARY_LABELS["new_within"]: st.column_config.NumberColumn(format="%.0f"),
            ws.SUMMARY_LABELS["share_before"]: st.column_config.NumberColumn(format="percent"),
            ws.SUMMARY_LABELS["share_after"]: st.column_config.NumberColumn(format="percent"),
            ws.SUMMARY_LABELS["median_before"]: st.column_config.NumberColumn(format="%.0f"),
            ws.SUMMARY_LABELS["median_after"]: st.column_config.NumberColumn(format="%.0f"),
            ws.SUMMARY_LABELS["nearest_existing_m"]: st.column_config.NumberColumn(format="%.0f"),
        },
    )
    gain = comparison.gain_by_bydel
    gain = (
        gain[gain["bydel_code"] != CITY_CODE]
        .drop(columns=["bydel_code"])
        .rename(columns={"bydel": "Bydel"})
    )
    with st.expander(f"Nye {who} innen terskel per bydel og kandidat"):
        show_table(gain.round(0), hide_index=True, key="gain_table")


# ---------------------------------------------------------------------- compare tab
def compare_tab(
    study: Study,
    engine: DistanceEngine,
    whatif: Any,
    comparison: ws.CandidateComparison,
    analysis: ws.AnalysisSettings,
) -> None:
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
    st.subheader(f"Bydelene sammenlignet ({view})")
    st.caption(f"{table.attrs.get('distance_note', '')} {table.attrs.get('population_note', '')}")
    shown = display_table(table, analysis)
    columns = ["bydel"] + [c for c in TABLE_METRICS if c in shown.columns]
    config: dict[str, Any] = {"bydel": st.column_config.TextColumn("Bydel", pinned=True)}
    for c in columns[1:]:
        fmt = (
            "percent"
            if c.startswith("share")
            else ("%.2f" if c in ("location_quotient", "services_per_10k") else "%.0f")
        )
        numeric = pd.api.types.is_numeric_dtype(shown[c])
        config[c] = (
            st.column_config.NumberColumn(
                METRIC_LABELS.get(c, c), help=METRIC_HELP.get(c), format=fmt
            )
            if numeric
            else st.column_config.TextColumn(METRIC_LABELS.get(c, c), help=METRIC_HELP.get(c))
        )
    show_table(
        shown[columns], hide_index=True, column_config=config, key="compare_table", height=640
    )
    metric = st.selectbox(
        "Søylediagram for",
        TABLE_METRICS,
        format_func=METRIC_LABELS.get,
        key="bar_metric",
        index=TABLE_METRICS.index("share_within_threshold"),
    )
    bars = table[table["bydel_code"] != CITY_CODE][["bydel", metric]].rename(
        columns={metric: "verdi"}
    )
    best_high = HIGHER_IS_BETTER.get(metric, True)
    st.altair_chart(
        alt.Chart(bars)
        .mark_bar(color=maps.OSLO_PALETTE["dark_blue"])
        .encode(
            x=alt.X("verdi:Q", title=METRIC_LABELS[metric]),
            y=alt.Y("bydel:N", sort="-x" if best_high else "x", title=None),
            tooltip=["bydel", alt.Tooltip("verdi:Q", format=",.3~f")],
        )
        .properties(height=420),
        width="stretch",
    )
    st.caption(METRIC_HELP.get(metric, ""))
    balance_section(study, engine, whatif, analysis, table)


def balance_section(
    study: Study,
    engine: DistanceEngine,
    whatif: Any,
    analysis: ws.AnalysisSettings,
    table: pd.DataFrame,
) -> None:
    st.subheader("Balanse over byen")
    st.caption(
        "Handlingsplanen ber om at tilbudene spres balansert over byen. Søylene viser hver bydels andel av "
        "tilbudene mot dens andel av innbyggerne: der den mørke søylen er mye lengre enn den lyse, er tilbudene samlet."
    )
    rows = table[table["bydel_code"] != CITY_CODE]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "bydel": rows["bydel"],
                    "andel": rows["share_of_services"],
                    "hva": "Andel av tilbudene",
                }
            ),
            pd.DataFrame(
                {
                    "bydel": rows["bydel"],
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
                "bydel:N",
                title=None,
                sort=alt.EncodingSortField("andel", op="max", order="descending"),
            ),
            x=alt.X("andel:Q", title="Andel av byen", axis=alt.Axis(format="%")),
            yOffset="hva:N",
            color=alt.Color(
                "hva:N",
                title=None,
                scale=alt.Scale(range=[maps.OSLO_PALETTE["dark_blue"], maps.OSLO_PALETTE["blue"]]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=["bydel", "hva", alt.Tooltip("andel:Q", format=".1%")],
        )
        .properties(height=520),
        width="stretch",
    )
    key = state().whatif[0]
    cached = state().get("balance")
    if cached is None or cached[0] != key:
        # the weights the what-if engine already spread from the user data (None for residents)
        weights = (
            whatif.demand[ws.USER_WEIGHT_COLUMN].to_numpy(dtype=float)
            if whatif.weight_column == ws.USER_WEIGHT_COLUMN
            else None
        )
        summary, _ = current_balance(
            study, engine, analysis.threshold_m, list(analysis.categories), weights=weights
        )
        state().balance = (key, summary)
    summary = state().balance[1]
    lorenz = balance.lorenz_curve(rows["share_within_threshold"], rows["population"])
    diagonal = pd.DataFrame({"cum_pop_share": [0.0, 1.0], "cum_value_share": [0.0, 1.0]})
    st.altair_chart(
        alt.layer(
            alt.Chart(diagonal)
            .mark_line(strokeDash=[4, 4], color=maps.OSLO_PALETTE["dark_blue"])
            .encode(x="cum_pop_share:Q", y="cum_value_share:Q"),
            alt.Chart(lorenz)
            .mark_line(point=True, color=maps.OSLO_PALETTE["red"])
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


# ---------------------------------------------------------------------- suggestions tab
def read_zones(file: Any) -> gpd.GeoDataFrame | None:
    """Exclusion polygons from an upload, checked like every upload; problems shown, never raised."""
    data = file.getvalue()
    problems = uploads.check_upload(file.name, data)
    if not problems:
        try:
            result = read_any(data, file.name)
            problems = result.problems
            if result.kind == "polygons" and len(result.frame):
                return gpd.GeoDataFrame(result.frame)
            problems = [*problems, Problem(file.name, None, None, "Fant ingen polygoner i filen.")]
        except InputError as exc:
            problems = exc.problems
    st.warning("Utelukkede soner ble ikke brukt.")
    st.table(problems_frame(problems).astype(str))
    return None


def suggest_tab(study: Study, engine: DistanceEngine, analysis: ws.AnalysisSettings) -> None:
    st.subheader("Forslag til nye steder")
    st.caption(
        "Modellen velger blant punkter i et rutenett (eller de opplastede kandidatene) de stedene som gir flest "
        "nye innbyggere innen terskelen (maksimal dekning), eller som løfter den dårligst dekkede bydelen mest "
        "(balanse). Forslagene er et utgangspunkt for vurdering – ikke vurderte eller vedtatte steder."
    )
    with st.form("suggest"):
        c = st.columns(4)
        p = c[0].number_input("Antall nye steder", 1, 5, 1, key="sug_p")
        method = c[1].selectbox(
            "Mål",
            ["greedy", "exact", "maximin"],
            key="sug_method",
            format_func={
                "greedy": "Flest nye (rask)",
                "exact": "Flest nye (eksakt)",
                "maximin": "Balanse (løft svakeste bydel)",
            }.get,
        )
        grid = c[2].selectbox("Rutenett (m)", [250, 500, 1000], key="sug_grid")
        within = c[3].multiselect(
            "Bare i bydelene",
            study.bydeler["bydel_code"].tolist(),
            placeholder="Hele byen",
            key="sug_within",
            format_func=dict(
                zip(study.bydeler["bydel_code"], study.bydeler["bydel"], strict=False)
            ).get,
        )
        zones_file = st.file_uploader(
            "Utelukkede soner (polygoner: GeoJSON, GeoPackage eller zippet Shapefile)",
            key="sug_zones",
            help="Ingen forslag legges i eller nær disse områdene.",
        )
        buffer_m = st.number_input(
            "Avstand til utelukkede soner (m)", 0, 1000, 0, 50, key="sug_buffer"
        )
        use_uploaded = st.checkbox(
            "Velg blant kandidatene i listen i stedet for rutenettet", key="sug_use_cands"
        )
        go = st.form_submit_button("Foreslå steder", type="primary")
    if go:
        cands = state().candidates if use_uploaded and len(state().candidates) else None
        zones = read_zones(zones_file) if zones_file is not None else None
        try:
            with st.spinner("Løser lokaliseringsmodellen …"):
                state().suggestion = suggest_sites(
                    study,
                    engine,
                    analysis.threshold_m,
                    int(p),
                    method,
                    list(analysis.categories),
                    candidates=cands,
                    grid_m=float(grid),
                    within_codes=within or None,
                    exclusion=zones,
                    exclusion_buffer_m=float(buffer_m),
                )
        except ValueError as exc:
            st.warning(str(exc))
    suggestion = state().suggestion
    if suggestion is None:
        return
    for line in suggestion.explanation.lines:
        st.markdown(f"- {uploads.safe_text(line)}")
    for note in suggestion.notes:
        st.caption(note)
    sites = chosen_sites(suggestion, settings.ANALYSIS_CRS)
    show_table(pd.DataFrame(sites.drop(columns="geometry")), hide_index=True, key="suggest_sites")
    show_table(suggestion.explanation.balance, hide_index=True, key="suggest_balance")
    if st.button("Legg forslagene til som kandidater", key="suggest_add"):
        named = sites.assign(name=[f"Forslag {r}" for r in sites["rank"]])
        state().candidates, notes = ws.candidates_from_sites(
            named,
            state().candidates,
            study.bydeler,
            analysis.candidate_category,
            "forslag fra modellen",
        )
        for note in notes:
            flash("warning", note)
        st.rerun()


# ---------------------------------------------------------------------- export tab
def export_tab(
    study: Study, whatif: Any, comparison: ws.CandidateComparison, analysis: ws.AnalysisSettings
) -> None:
    st.subheader("Eksport til saksframlegg")
    st.caption(
        "Kart i trykkvalitet (PNG 300 dpi, PDF, SVG), tabeller (XLSX med kilder og definisjoner, CSV) og en kort "
        "PDF-rapport. Tall fra brukerdata under 5 vises som «<5»."
    )
    what = st.radio(
        "Hva",
        ["map", "table", "report", "html"],
        horizontal=True,
        key="exp_what",
        format_func={
            "map": "Kart",
            "table": "Tabell",
            "report": "Rapport (PDF)",
            "html": "Interaktivt kart (HTML)",
        }.get,
    )
    c = st.columns(4)
    kind = fmt = paper = orientation = None
    if what == "map":
        kind = c[0].selectbox(
            "Kart",
            list(export.MAP_KINDS),
            key="exp_kind",
            format_func={
                "overview": "Oversikt over tilbud",
                "choropleth": "Temakart (valgt mål)",
                "candidates": "Kandidater før/etter",
            }.get,
        )
        fmt = c[1].selectbox("Format", list(export.MAP_FORMATS), key="exp_fmt")
        paper = c[2].selectbox("Papir", ["A4", "A3"], key="exp_paper")
        orientation = c[3].selectbox(
            "Retning",
            ["landscape", "portrait"],
            key="exp_orient",
            format_func={"landscape": "Liggende", "portrait": "Stående"}.get,
        )
    elif what == "table":
        fmt = c[0].selectbox("Format", list(export.TABLE_FORMATS), key="exp_tfmt")
    baseline = whatif.baseline
    scenario = comparison.combined.table if comparison.combined is not None else None
    cands = state().candidates if len(state().candidates) else None
    if st.button("Lag fil", type="primary", key="exp_make"):
        try:
            with st.spinner("Lager filen …"):
                if what == "map":
                    fig = export.build_map(
                        kind or "overview",
                        study,
                        baseline,
                        scenario,
                        cands,
                        analysis.metric,
                        paper or "A4",
                        orientation,
                        categories=list(analysis.categories),
                    )
                    data, name = (
                        export.map_bytes(fig, fmt or "png"),
                        export.file_name(kind or "overview", fmt or "png", paper, orientation),
                    )
                elif what == "table":
                    data, name = (
                        export.table_bytes(baseline, scenario, fmt or "xlsx", cands),
                        export.file_name("tabell", fmt or "xlsx"),
                    )
                elif what == "report":
                    data, name = (
                        export.report_bytes(study, baseline, scenario, cands, analysis.metric),
                        export.file_name("rapport", "pdf"),
                    )
                else:
                    m = maps.coverage_map(
                        study.bydeler,
                        table=baseline,
                        metric=analysis.metric,
                        services=whatif.services,
                        candidates=state().candidates,
                        categories=list(analysis.categories),
                        local_assets=False,
                    )
                    data, name = export.html_bytes(m), export.file_name("kart", "html")
            state().export_file = (data, name)
        except Exception as exc:  # show any export failure as a message, keep the session
            st.error(f"Kunne ikke lage filen: {uploads.safe_text(str(exc))[:300]}")
    if state().export_file:
        data, name = state().export_file
        st.download_button(
            f"Last ned {name}",
            data,
            file_name=name,
            mime=export.MIME_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"),
            key="exp_download",
        )


# ---------------------------------------------------------------------- scenarios tab
def scenario_tab(study: Study, analysis: ws.AnalysisSettings) -> None:
    st.subheader("Scenarier")
    st.caption(
        "Et scenario lagrer kandidatene og innstillingene under et navn, med versjoner. Alle planleggere ser de samme scenariene."
    )
    store = scenario_store()
    with st.form("save_scenario"):
        c = st.columns([2, 2, 1], vertical_alignment="bottom")
        name = c[0].text_input("Navn på scenario", key="scn_name")
        author = c[1].text_input("Laget av", key="scn_author")
        if c[2].form_submit_button("Lagre", type="primary"):
            settings_dict, cands = ws.scenario_payload(analysis, state().candidates)
            try:
                saved = store.save(
                    Scenario(
                        ws.clean_name(name, ""),
                        ws.clean_name(author, "ukjent"),
                        cands,
                        settings_dict,
                    )
                )
                st.success(f"Lagret «{saved.name}» versjon {saved.version}.")
            except (ValueError, OSError) as exc:
                st.warning(str(exc))
    listing = store.list()
    if not len(listing):
        st.info("Ingen lagrede scenarier ennå.")
        return
    show_table(
        listing.rename(
            columns={
                "name": "Navn",
                "author": "Laget av",
                "version": "Versjon",
                "saved_at": "Lagret",
                "n_candidates": "Kandidater",
                "note": "Notat",
            }
        ),
        hide_index=True,
        key="scn_list",
    )
    c = st.columns([3, 1], vertical_alignment="bottom")
    pick = c[0].selectbox("Åpne scenario", listing["name"].tolist(), key="scn_pick")
    if c[1].button("Åpne", key="scn_open"):
        try:
            scn = store.load(pick)
        except (ScenarioNotFoundError, ValueError) as exc:
            st.warning(str(exc))
            return
        restored = ws.AnalysisSettings.from_dict(scn.settings)
        state().candidates = (
            scn.candidates.to_crs(settings.ANALYSIS_CRS)
            if len(scn.candidates)
            else ws.empty_candidates()
        )
        st.session_state["cats_default"] = list(restored.categories)
        for key, value in (
            ("cats", list(restored.categories)),
            ("distance", restored.distance),
            ("threshold", int(restored.threshold_m)),
            ("speed", restored.speed_kmh),
            ("metric", restored.metric),
        ):
            st.session_state[key] = value
        flash(
            "success", f"Åpnet «{scn.name}» (versjon {scn.version}, {scn.author}, {scn.saved_at})."
        )
        st.rerun()


# ---------------------------------------------------------------------- help tab
def help_tab(analysis: ws.AnalysisSettings) -> None:
    st.subheader("Om målene")
    for metric in TABLE_METRICS:
        st.markdown(f"**{METRIC_LABELS[metric]}** – {METRIC_HELP.get(metric, '')}")
    st.subheader("Data")
    st.markdown(
        "Bydels- og delbydelsgrenser: Oslo kommune (PBE). Befolkning: SSB/Oslo kommune. Tjenester: "
        "`data/services.csv`, én kilde per rad. Kandidater merket FIKTIV er eksempler, ikke forslag. "
        "Kart: EUREF89 UTM sone 32 (EPSG:25832) i beregningene."
    )


# ---------------------------------------------------------------------- page
def main() -> None:
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = time.perf_counter() - started - sum(timings.values())

    state()
    analysis = sidebar()
    show_flashes()
    study, engine, whatif = current_analysis(analysis)
    # a map click is applied before anything is computed, so one click costs one run
    apply_map_click(study, analysis)
    lap("innstillinger")
    comparison = ws.compare_candidates(
        whatif, state().candidates, analysis.candidate_category, state().scenario_cache
    )
    lap("kandidater")
    st.title("Dekning av lavterskeltilbud i Oslo")
    if engine.kind != analysis.distance:
        st.info(engine.note)
    # lazy tabs: only the open tab runs, so a click on the map reruns the map tab only
    names = [
        "Kart og kandidater",
        "Sammenlign bydeler",
        "Forslag",
        "Eksport",
        "Scenarier",
        "Om målene",
    ]
    tabs = st.tabs(names, key="fane", on_change="rerun")
    panels = [
        lambda: map_tab(study, engine, whatif, comparison, analysis),
        lambda: compare_tab(study, engine, whatif, comparison, analysis),
        lambda: suggest_tab(study, engine, analysis),
        lambda: export_tab(study, whatif, comparison, analysis),
        lambda: scenario_tab(study, analysis),
        lambda: help_tab(analysis),
    ]
    for name, tab, panel in zip(names, tabs, panels, strict=True):
        if tab.open:
            with tab:
                panel()
            lap(name)
    lap("resten")
    total = time.perf_counter() - started
    st.sidebar.caption(
        f"Siden beregnet på {total * 1000:.0f} ms.",
        help="Tid for siste kjøring på serveren: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()),
    )
    if os.environ.get("OSLO_COVERAGE_TIMING"):
        print("timing", {k: round(v * 1000) for k, v in timings.items()}, flush=True)


if os.environ.get("OSLO_COVERAGE_TIMING") == "profile":
    import cProfile
    import pstats

    _profile = cProfile.Profile()
    _profile.runcall(main)
    pstats.Stats(_profile).sort_stats("cumulative").print_stats(40)
else:
    main()
