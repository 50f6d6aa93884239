"""The map tab: the coverage map and the candidate panel."""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.errors import GeocodeUnavailableError
from geo.export.tables import unplaced_services
from geo.geocode import search_address
from geo.geom import parse_point_text, xy_of
from geo.labels import CATEGORIES, METRIC_LABELS, format_metric, summary_labels
from geo.maps import web as maps
from geo.maps.web import MapLayers, MapOptions
from geo.names import CITY_CODE
from geo.workspace import compare as ws
from geo.workspace.candidates import (
    add_candidate,
)
from geo.workspace.compare import areas_around_sites
from geo.workspace.session import Session
from geo.workspace.settings import AnalysisSettings
from ui.leaflet_map import leaflet_map, map_document
from ui.state import (
    load_delbydel_outlines,
    remembered,
    session,
    show_static_table,
    show_table,
    state,
)

TILE_CHOICES = {
    "none": "Ingen (virker uten internett)",
    "osm": "OpenStreetMap",
    "kartverket": "Kartverket gråtone",
}


class BaseMapChoice(NamedTuple):
    """The map tab's own choices of what the base map shows."""

    tiles: str = "none"
    delbydeler: bool = False
    service_areas: bool = False


def base_map_document(
    study: Study,
    engine: DistanceEngine,
    whatif: Any,
    analysis: AnalysisSettings,
    choice: BaseMapChoice,
    owner: Session,
) -> tuple[str, str, str]:
    """Today's coverage map as a page for the map component, built once per setting.

    The base map is the same from click to click (the candidates are drawn on it in place), and
    the same for every session without own data, so one planner's first look serves the next.
    The coverage areas follow the candidates, so they are part of the key when shown.
    """
    candidates = owner.candidates
    key = (analysis, choice, xy_of(candidates).tobytes() if choice.service_areas else b"")

    def build() -> tuple[str, str, str]:
        areas = None
        if choice.service_areas:
            sites = ws.located_sites(whatif, candidates)
            areas = areas_around_sites(engine, sites, analysis.threshold_m)
        user = owner.user_data
        m = maps.coverage_map(
            MapLayers(
                study.zones,
                table=whatif.baseline,
                metric=analysis.metric,
                services=whatif.services,
                delbydeler=load_delbydel_outlines() if choice.delbydeler else None,
                service_areas=areas,
                user_points=user.frame if user is not None and user.kind == "points" else None,
                categories=list(analysis.categories),
            ),
            MapOptions(tiles=choice.tiles),
        )
        return map_document(m)

    return remembered("map_document", key, build, owner)


def apply_map_click(study: Study, analysis: AnalysisSettings) -> None:
    """Add or move a candidate where the planner clicked (the map's value from the last run)."""
    value = st.session_state.get("kart") or {}
    click = value.get("last_clicked") if isinstance(value, dict) else None
    if not click:
        return
    warning = session().click(
        click["lat"],
        click["lng"],
        st.session_state.get("click_mode", "add"),
        study.zones,
        analysis.candidate_category,
        st.session_state.get("move_id"),
    )
    if warning:
        st.warning(warning)


def map_tab(
    study: Study,
    engine: DistanceEngine,
    whatif: Any,
    comparison: ws.CandidateComparison,
    analysis: AnalysisSettings,
) -> None:
    """The coverage map beside the candidate panel, and what the candidates change."""
    left, right = st.columns([3, 2], gap="medium")
    with left:
        opts = st.columns(3)
        tiles = opts[0].selectbox(
            "Bakgrunnskart", list(TILE_CHOICES), format_func=TILE_CHOICES.get, key="tiles"
        )
        show_delbydeler = opts[1].checkbox("Delbydeler", key="show_delbydeler")
        show_areas = opts[2].checkbox(
            "Dekningsområder",
            key="show_areas",
            help="Områder innen terskelen rundt tilbud og kandidater.",
        )
        table = comparison.combined.table if comparison.combined is not None else whatif.baseline
        choice = BaseMapChoice(tiles, show_delbydeler, show_areas)
        document = base_map_document(study, engine, whatif, analysis, choice, session())
        leaflet_map(
            document,
            session().candidates,
            key="kart",
            height=560,
            view_key=repr((analysis.study_area, analysis.area_bydeler)),
        )
        st.caption(
            f"Kartet viser {METRIC_LABELS[analysis.metric].lower()} i dag; kandidatene er merket "
            "med ring, og hva de endrer står i tabellen under. "
            + f"{table.attrs.get('zone_provenance', '')}. "
            + (engine.note or "")
        )
    with right:
        candidate_panel(study, analysis)
    unplaced = unplaced_services(study.services)
    if len(unplaced):
        # drawn only when opened: the page's first load then needs no table code in the browser
        listing = st.expander(
            f"Ikke plassert: {len(unplaced)} tilbud uten kjent plassering",
            key="open_unplaced",
            on_change="rerun",
        )
        if listing.open:
            with listing:
                st.caption(
                    "Tilbudene finnes, men ingen kilde gir en koordinat. De teller ikke i noen "
                    "beregning, og koordinater anslås ikke fra gatenavn."
                )
                show_table(unplaced, key="unplaced_table", hide_index=True)
    candidate_results(comparison, analysis)


def candidate_panel(study: Study, analysis: AnalysisSettings) -> None:
    """Add candidates (click, coordinates, address), move, rename and remove them."""
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
    cands = session().candidates
    if st.session_state.get("click_mode") == "move" and len(cands):
        st.selectbox(
            "Kandidat som flyttes",
            cands["id"].tolist(),
            format_func=lambda i: f"{i}: {cands.loc[cands['id'] == i, 'name'].iloc[0]}",
            key="move_id",
        )
    _coordinate_form(study, analysis)
    _address_search(study, analysis)
    if not len(cands):
        st.info(
            "Ingen kandidater ennå. Klikk i kartet, skriv koordinater eller en adresse, eller last opp en liste."
        )
        return
    _candidate_table(cands)


def _add_point(study: Study, analysis: AnalysisSettings, x: float, y: float, **kwargs: Any) -> bool:
    """Add one candidate; a point outside Oslo gives a warning instead (and False)."""
    try:
        session().candidates = add_candidate(
            session().candidates,
            x,
            y,
            study.zones,
            category=analysis.candidate_category,
            **kwargs,
        )
    except ValueError as exc:
        st.warning(str(exc))
        return False
    return True


def _coordinate_form(study: Study, analysis: AnalysisSettings) -> None:
    with st.form("coords", clear_on_submit=True, border=False):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        text = c1.text_input(
            "Koordinater", placeholder="59.9275, 10.7590  eller  597700 6643300", key="coord_text"
        )
        if c2.form_submit_button("Legg til"):
            try:
                x, y = parse_point_text(text)
            except ValueError as exc:
                st.warning(str(exc))
                return
            if _add_point(study, analysis, x, y, source="koordinater"):
                st.rerun()


def _address_search(study: Study, analysis: AnalysisSettings) -> None:
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
    if not hits:
        return
    pick = st.selectbox(
        "Treff",
        range(len(hits)),
        format_func=lambda i: f"{hits[i].address}, {hits[i].postcode}",
        key="address_pick",
    )
    if st.button("Legg til adressen", key="add_address"):
        hit = hits[pick]
        if _add_point(
            study, analysis, hit.x, hit.y, name=hit.address, source="adressesøk (Kartverket)"
        ):
            state().address_hits = []
            st.rerun()


def _candidate_table(cands: Any) -> None:
    # the editor opens on demand: the candidates and what they change are in the table below,
    # and a click then needs none of Streamlit's grid code in the browser (1.2 MB on first use)
    editor = st.expander(
        "Endre navn eller fjern kandidater", key="open_cand_editor", on_change="rerun"
    )
    if editor.open:
        with editor:
            _candidate_editor(cands)
            if st.button("Fjern alle kandidater", key="clear_candidates"):
                session().clear_candidates()
                st.rerun()


def _candidate_editor(cands: Any) -> None:
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
    rows = edited.set_index("id")
    if session().edit_candidates(rows["Navn"], rows["Fjern"]):
        st.session_state.pop("cand_editor", None)
        st.rerun()


_SUMMARY_METRICS = {
    "new_within": "residents_within_threshold",
    "share_before": "share_within_threshold",
    "share_after": "share_within_threshold",
    "median_before": "median_distance_m",
    "median_after": "median_distance_m",
    "nearest_existing_m": "median_distance_m",
}
"""How each number of the candidate summary is written (as the metric it is a value of)."""


def candidate_results(comparison: ws.CandidateComparison, analysis: AnalysisSettings) -> None:
    """Each candidate alone and all together against today, and the gain per bydel."""
    if not len(comparison.summary):
        return
    st.subheader("Hva kandidatene endrer")
    who = "innbyggere" if analysis.weight_basis == "innbyggere" else "brukere (vekt)"
    st.caption(
        f"Hver kandidat alene mot dagens tilbud ({', '.join(CATEGORIES[c] for c in analysis.categories)}), "
        f"og alle sammen. «Nye innen terskel» er {who} som får et tilbud innen {analysis.threshold_m:.0f} m. "
        f"Beregnet på {comparison.elapsed_s * 1000:.0f} ms."
    )
    noun = comparison.combined.table.attrs.get("zone_noun") if comparison.combined else None
    labels = summary_labels(noun)
    summary = comparison.summary.drop(columns=["id"])
    formats = {labels[c]: partial(format_metric, metric) for c, metric in _SUMMARY_METRICS.items()}
    show_static_table(summary.rename(columns=labels), key="cand_summary", formats=formats)
    # opens on demand, as plain text: a click then needs none of Streamlit's grid code
    per_zone = st.expander(
        f"Nye {who} innen terskel per bydel og kandidat", key="open_gain_table", on_change="rerun"
    )
    if per_zone.open:
        gain = comparison.gain_by_zone
        gain = (
            gain[gain["zone_code"] != CITY_CODE]
            .drop(columns=["zone_code"])
            .rename(columns={"zone": labels["zone"]})
        )
        with per_zone:
            counts = partial(format_metric, "residents_within_threshold")
            show_static_table(
                gain,
                key="gain_table",
                formats={c: counts for c in gain.columns if c != labels["zone"]},
                total_row=False,
            )
