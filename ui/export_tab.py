"""The export tab: print maps, tables, report and HTML as downloads."""

from __future__ import annotations

from typing import Any

import streamlit as st

from geo.data.study import Study
from geo.export import files as export
from geo.export.figures import MAP_FORMATS, MAP_KINDS, build_map
from geo.export.files import html_map
from geo.export.tables import TABLE_FORMATS
from geo.labels import safe_text
from geo.maps.layout import PrintOptions
from geo.workspace import compare as ws
from geo.workspace.settings import AnalysisSettings
from ui.state import session, state


def export_tab(
    study: Study, whatif: Any, comparison: ws.CandidateComparison, analysis: AnalysisSettings
) -> None:
    """Make a print map, table, report or HTML map and offer it as a download."""
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
            list(MAP_KINDS),
            key="exp_kind",
            format_func={
                "overview": "Oversikt over tilbud",
                "choropleth": "Temakart (valgt mål)",
                "candidates": "Kandidater før/etter",
            }.get,
        )
        fmt = c[1].selectbox("Format", list(MAP_FORMATS), key="exp_fmt")
        paper = c[2].selectbox("Papir", ["A4", "A3"], key="exp_paper")
        orientation = c[3].selectbox(
            "Retning",
            ["landscape", "portrait"],
            key="exp_orient",
            format_func={"landscape": "Liggende", "portrait": "Stående"}.get,
        )
    elif what == "table":
        fmt = c[0].selectbox("Format", list(TABLE_FORMATS), key="exp_tfmt")
    baseline = whatif.baseline
    scenario = comparison.combined.table if comparison.combined is not None else None
    cands = session().candidates if len(session().candidates) else None
    if st.button("Lag fil", type="primary", key="exp_make"):
        try:
            with st.spinner("Lager filen …"):
                if what == "map":
                    fig = build_map(
                        kind or "overview",
                        study,
                        baseline,
                        scenario,
                        cands,
                        analysis.metric,
                        list(analysis.categories),
                        PrintOptions(paper=paper or "A4", orientation=orientation),
                    )
                    data, name = (
                        export.map_bytes(fig, fmt or "png"),
                        export.file_name(kind or "overview", fmt or "png", paper, orientation),
                    )
                elif what == "table":
                    data, name = (
                        export.table_bytes(
                            baseline, scenario, fmt or "xlsx", cands, study.services
                        ),
                        export.file_name("tabell", fmt or "xlsx"),
                    )
                elif what == "report":
                    data, name = (
                        export.report_bytes(study, baseline, scenario, cands, analysis.metric),
                        export.file_name("rapport", "pdf"),
                    )
                else:
                    m = html_map(study, baseline, analysis.metric, cands, list(analysis.categories))
                    data, name = export.html_bytes(m), export.file_name("kart", "html")
            state().export_file = (data, name)
        except Exception as exc:  # show any export failure as a message, keep the session
            st.error(f"Kunne ikke lage filen: {safe_text(str(exc))[:300]}")
    if state().export_file:
        data, name = state().export_file
        st.download_button(
            f"Last ned {name}",
            data,
            file_name=name,
            mime=export.MIME_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"),
            key="exp_download",
        )
