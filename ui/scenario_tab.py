"""The scenarios tab: save and reopen candidates with their settings."""

from __future__ import annotations

import streamlit as st

from geo.data.study import Study
from geo.errors import ScenarioNotFoundError
from geo.workspace.settings import AnalysisSettings
from ui.state import flash, scenario_store, session, show_static_table


def scenario_tab(study: Study, analysis: AnalysisSettings) -> None:
    """Save the candidates and settings under a name, and reopen a saved scenario."""
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
            try:
                saved = store.save(session().scenario(name, author, analysis))
                st.success(f"Lagret «{saved.name}» versjon {saved.version}.")
            except (ValueError, OSError) as exc:
                st.warning(str(exc))
    listing = store.list()
    if not len(listing):
        st.info("Ingen lagrede scenarier ennå.")
        return
    # plain text (escaped): opening the tab then needs none of Streamlit's grid code
    show_static_table(
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
        key="scn_list",
        formats={},
        height=360,
        total_row=False,
    )
    c = st.columns([3, 1], vertical_alignment="bottom")
    pick = c[0].selectbox("Åpne scenario", listing["name"].tolist(), key="scn_pick")
    if c[1].button("Åpne", key="scn_open"):
        try:
            scn = store.load(pick)
        except (ScenarioNotFoundError, ValueError) as exc:
            st.warning(str(exc))
            return
        restored = session().restore(scn)
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
