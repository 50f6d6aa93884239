"""The help tab: what the metrics mean and where the data come from."""

from __future__ import annotations

import streamlit as st

from geo.labels import METRIC_HELP, METRIC_LABELS, TABLE_METRICS
from geo.workspace.settings import AnalysisSettings


def help_tab(analysis: AnalysisSettings) -> None:
    """What each metric means, and where the data come from."""
    st.subheader("Om målene")
    for metric in TABLE_METRICS:
        st.markdown(f"**{METRIC_LABELS[metric]}** – {METRIC_HELP.get(metric, '')}")
    st.subheader("Data")
    st.markdown(
        "Bydels- og delbydelsgrenser: Oslo kommune (PBE). Befolkning: SSB/Oslo kommune. Tjenester: "
        "`data/services.csv`, én kilde per rad. Kandidater merket FIKTIV er eksempler, ikke forslag. "
        "Kart: EUREF89 UTM sone 32 (EPSG:25832) i beregningene."
    )
