"""The suggestions tab: siting models and their explanation."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo import settings
from geo.data.study import Study
from geo.distance import DistanceEngine
from geo.errors import InputError, Problem
from geo.inputs.problems import problems_frame
from geo.inputs.read import read_any
from geo.labels import BALANCE_CHANGE_LABELS, SUGGESTION_LABELS, safe_text
from geo.siting.model import stopped_note
from geo.siting.suggest import DEFAULT_TIME_LIMIT_S, SiteRequest, chosen_sites, suggest_sites
from geo.workspace import uploads
from geo.workspace.candidates import candidates_from_sites
from geo.workspace.settings import AnalysisSettings
from ui.state import flash, session, show_table, state


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


def suggest_tab(study: Study, engine: DistanceEngine, analysis: AnalysisSettings) -> None:
    """Ask the siting models for sites and add the suggestions as candidates."""
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
            placeholder="Hele studieområdet",
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
        time_limit = st.number_input(
            "Tidsgrense for løseren (s)",
            1,
            120,
            int(DEFAULT_TIME_LIMIT_S),
            key="sug_time_limit",
            help="Eksakt og balanse: løseren stopper her og sier hvor langt fra beste svar den "
            "kan være. Til saksframlegg: gi den tid nok til å bevise svaret (ofte 10–30 s).",
        )
        go = st.form_submit_button("Foreslå steder", type="primary")
    if go:
        cands = session().candidates if use_uploaded and len(session().candidates) else None
        zones = read_zones(zones_file) if zones_file is not None else None
        try:
            with st.spinner("Løser lokaliseringsmodellen …"):
                request = SiteRequest(
                    analysis.threshold_m,
                    int(p),
                    method,
                    tuple(analysis.categories),
                    grid_m=float(grid),
                    within_codes=tuple(within) or None,
                    exclusion_buffer_m=float(buffer_m),
                    time_limit_s=float(time_limit),
                )
                state().suggestion = suggest_sites(study, engine, request, cands, zones)
        except ValueError as exc:
            st.warning(str(exc))
    suggestion = state().suggestion
    if suggestion is None:
        return
    stopped = stopped_note(suggestion.result.solver)
    if stopped:
        st.warning(stopped)
    for line in suggestion.explanation.lines:
        st.markdown(f"- {safe_text(line)}")
    for note in suggestion.notes:
        if note != stopped:
            st.caption(note)
    sites = chosen_sites(suggestion, settings.ANALYSIS_CRS)
    counts = {"new_weight", "alone_weight", "nearest_existing_m"}
    show_table(
        pd.DataFrame(sites[list(SUGGESTION_LABELS)]).rename(columns=SUGGESTION_LABELS),
        hide_index=True,
        key="suggest_sites",
        column_config={
            SUGGESTION_LABELS[c]: st.column_config.NumberColumn(format="%.0f") for c in counts
        },
    )
    balance_rows = suggestion.explanation.balance[list(BALANCE_CHANGE_LABELS)]
    show_table(
        balance_rows.rename(columns=BALANCE_CHANGE_LABELS),
        hide_index=True,
        key="suggest_balance",
        column_config={
            BALANCE_CHANGE_LABELS[c]: st.column_config.NumberColumn(format="%.3f")
            for c in ("before", "after", "change")
        },
    )
    if st.button("Legg forslagene til som kandidater", key="suggest_add"):
        named = sites.assign(name=[f"Forslag {r}" for r in sites["rank"]])
        session().candidates, notes = candidates_from_sites(
            named,
            session().candidates,
            study.zones,
            analysis.candidate_category,
            "forslag fra modellen",
        )
        for note in notes:
            flash("warning", note)
        st.rerun()
