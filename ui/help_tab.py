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
    st.subheader("Hvor innbyggerne bor")
    st.markdown(
        "Innbyggerne plasseres der de bor etter **SSBs befolkning på rutenett (100 m, 2015)**: hver "
        "befolket rute er et punkt i rutens midtpunkt. Hver bydels ruter skaleres så til SSBs tall "
        "for bydelen per 1. januar i valgt år, slik at bydelens sum alltid er SSBs tall. Sjø, skog "
        "og parker får ingen innbyggere. Nye boligområder siden 2015 (f.eks. Bjørvika, Hovinbyen, "
        "Ensjø) er underrepresentert. Innbyggere i Marka og med uoppgitt bydel har ingen bosted i "
        "kartet; de telles opp i merknaden, ikke plassert. Mangler 100 m-rutenettet, brukes SSBs "
        "250 m-rutenett, og mangler begge, fordeles innbyggerne jevnt over bydelen – det står da "
        "i alle resultater."
    )
    st.markdown(
        "**Behov** (valgfritt grunnlag): innbyggerne vektet med bydelens andel "
        "sosialhjelpsmottakere i 2023 (Oslo kommunes statistikkbank). Det er et mål på behov, "
        "ikke antall personer i målgruppen. Sentrum mangler i tabellen og får St. Hanshaugens "
        "andel, fordi Bydel St. Hanshaugen har ansvaret for Sentrum."
    )
    st.subheader("Gangavstand")
    st.markdown(
        "Med *Gangnett* måles avstanden langs gangbare veier i OpenStreetMap-uttrekkene i "
        "datamappen. Uttrekkene dekker bare indre by: en sone måles langs nettet når nettet når "
        "minst 95 % av innbyggerne, ellers i luftlinje – kolonnen «Avstand målt» sier hvilket."
    )
    st.subheader("Data")
    st.markdown(
        "Kilde: Statistisk sentralbyrå (befolkning per bydel 2015–2026, rutenett 2015). Bydels- "
        "og delbydelsgrenser: Oslo kommune (PBE). Gangnett: © OpenStreetMap-bidragsytere. "
        "Tjenester: `data/services.csv`, én kilde per rad; adressepunkter © Kartverket. Kandidater "
        "merket FIKTIV er eksempler, ikke forslag. Beregninger i EUREF89 UTM sone 32 (EPSG:25832)."
    )
