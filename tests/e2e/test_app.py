"""End-to-end: the real Streamlit server driven in headless Chromium, outside requests blocked."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from appserver import MAP_FRAME, STEP_TIMEOUT_MS, map_frame

pytestmark = pytest.mark.e2e

BYDEL_NAMES = [
    "Gamle Oslo",
    "Grünerløkka",
    "Sagene",
    "St. Hanshaugen",
    "Frogner",
    "Ullern",
    "Vestre Aker",
    "Nordre Aker",
    "Bjerke",
    "Grorud",
    "Stovner",
    "Alna",
    "Østensjø",
    "Nordstrand",
    "Søndre Nordstrand",
    "Sentrum",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TIMINGS = SCREENSHOTS / "timings.json"


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _record(key: str, seconds: float) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    data[key] = round(seconds, 3)
    TIMINGS.write_text(json.dumps(data, indent=2))


def _wait_idle(page: Any, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished the current run (no 'running' status widget)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout_ms,
    )


def _map(page: Any) -> Any:
    page.wait_for_selector(MAP_FRAME, state="attached")
    frame = map_frame(page)
    frame.locator("path.oc-bydel").first.wait_for(state="attached", timeout=STEP_TIMEOUT_MS)
    return frame


def choose(page: Any, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox with widget key ``key`` (a react-aria combobox)."""
    box = page.locator(f".st-key-{key} input")
    box.click()
    box.fill(option[:12])
    page.get_by_role("option", name=option).first.click()


def _grid_text(page: Any, key: str) -> str:
    """Text of a table (a plain one, or a st.dataframe's accessible one), once it has rows."""
    selector = f".st-key-{key} table"
    page.wait_for_function(
        "(sel) => { const t = document.querySelector(sel); return t && t.textContent.length > 20; }",
        arg=selector,
    )
    return str(page.locator(selector).first.text_content())


def test_map_renders_offline_with_16_bydeler(page: Any, blocked: list[str]) -> None:
    start = time.perf_counter()
    frame = _map(page)
    _record("page_load_to_map_s", time.perf_counter() - start)
    assert frame.locator("path.oc-bydel").count() == 16
    assert frame.locator(".leaflet-marker-icon, .oc-pin").count() >= 1
    legends = "\n".join(frame.locator(".oc-legend").all_inner_texts())
    assert "Brukerrom" in legends
    assert "Andel innen 500 m" in legends
    _wait_idle(page)
    screenshot(page, "01_kart")
    external = [u for u in blocked if not re.search(r"tile|geonorge|kartverket", u)]
    assert external == [], f"the map asked for outside resources: {external[:5]}"


def test_compare_table_lists_every_bydel(page: Any) -> None:
    _map(page)
    page.get_by_role("tab", name="Sammenlign bydeler").click()
    text = _grid_text(page, "compare_table")
    for name in [*BYDEL_NAMES, "Hele byen"]:
        assert name in text, name
    page.get_by_role("tab", name="Sammenlign bydeler").scroll_into_view_if_needed()
    screenshot(page, "02_sammenlign")
    # sorted by the share within the threshold: best first, the whole city still last
    _wait_idle(page)
    choose(page, "compare_sort", "Andel innen terskel")
    page.wait_for_function(
        "() => { const t = document.querySelector('.st-key-compare_table table');"
        " return t && t.rows[1].cells[0].textContent.trim() === 'Gamle Oslo'; }"
    )
    rows = page.evaluate(
        "() => Array.from(document.querySelector('.st-key-compare_table table').rows)"
        ".map(r => r.cells[0].textContent.trim())"
    )
    assert rows[-1] == "Hele byen" and len(rows) == 1 + 16 + 1


def test_candidate_from_coordinates_changes_the_table(page: Any) -> None:
    _map(page)
    # Rådhusplassen is inside Sentrum/Frogner; a point in Sagene (Torshov area) gains residents
    page.get_by_label("Koordinater").fill("598750 6646250")
    page.get_by_role("button", name="Legg til").first.click()
    page.get_by_text("Hva kandidatene endrer").wait_for()
    summary = _grid_text(page, "cand_summary")
    assert "Kandidat K1" in summary
    assert "Sagene" in summary
    _wait_idle(page)
    # the gain per bydel opens on demand, as plain text; Sagene gains, Søndre Nordstrand not
    page.get_by_text("Nye innbyggere innen terskel per bydel og kandidat").click()
    _grid_text(page, "gain_table")  # waits for the table
    gain = page.evaluate(
        "() => Array.from(document.querySelector('.st-key-gain_table table').rows)"
        ".map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
    )
    by_zone = {row[0]: row[1] for row in gain[1:]}
    assert len(by_zone) == 16, gain
    assert int(by_zone["Sagene"].replace("\u00a0", "").replace(" ", "")) > 0
    assert by_zone["Søndre Nordstrand"] == "0"
    _wait_idle(page)
    # the comparison table with candidates differs from today's
    page.get_by_role("tab", name="Sammenlign bydeler").click()
    before = _grid_text(page, "compare_table")
    page.get_by_text("Vis tabellen med kandidatene").click()
    page.get_by_text("Bydeler sammenlignet (med kandidater)").wait_for()
    page.wait_for_function(
        "(old) => { const t = document.querySelector('.st-key-compare_table table');"
        " return t && t.textContent !== old; }",
        arg=before,
    )
    after = _grid_text(page, "compare_table")
    assert before != after
    screenshot(page, "03_kandidat_tabell")
    # the charts, the balance, the zone-set and concentration views open on demand
    _wait_idle(page)
    page.get_by_text("Balanse over byen").click()
    assert "Gini" in _grid_text(page, "balance_table")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    _wait_idle(page)
    page.get_by_text("Sammenlign soneinndelinger").click()
    assert "Gini" in _grid_text(page, "zones_balance")
    page.get_by_text("Konsentrasjon i området og avstand fra åpne rusmiljøer").click()
    measures = _grid_text(page, "concentration_table")
    assert "Herfindahl" in measures and "Med kandidatene" in measures


def test_click_on_map_adds_and_moves_candidate(page: Any) -> None:
    frame = _map(page)
    box = frame.locator(".leaflet-container").bounding_box()
    assert box is not None
    frame.locator(".leaflet-container").click(
        position={"x": box["width"] * 0.45, "y": box["height"] * 0.4}
    )
    page.get_by_text("Hva kandidatene endrer").wait_for()
    _wait_idle(page)
    screenshot(page, "04_kandidat_klikk")
    page.get_by_text("flytter valgt kandidat").click()
    _wait_idle(page)
    first = _grid_text(page, "cand_summary")
    start = time.perf_counter()
    frame.locator(".leaflet-container").click(
        position={"x": box["width"] * 0.55, "y": box["height"] * 0.5}
    )
    page.wait_for_function(
        "(old) => { const el = document.querySelector('.st-key-cand_summary table');"
        " return el && el.textContent !== old; }",
        arg=first,
        timeout=STEP_TIMEOUT_MS,
    )
    _wait_idle(page)
    _record("rerun_after_move_s", time.perf_counter() - start)


def test_broken_upload_shows_problem_table_and_keeps_data(page: Any, tmp_path: Any) -> None:
    _map(page)
    page.get_by_text("Egne data").click()
    broken = tmp_path / "tjenester_feil.csv"
    broken.write_text(
        "navn;kategori;lat;lon\n"
        "Testpunkt A;brukerrom;59,9111;10,7528\n"
        "Testpunkt B;ukjent-kategori;59,9111;10,7528\n"
        "Testpunkt C;brukerrom;abc;10,75\n",
        encoding="cp1252",
    )
    page.locator(".st-key-upload_services input[type=file]").set_input_files(str(broken))
    table = page.locator(".st-key-problems_services table")
    table.wait_for()
    text = table.inner_text()
    assert "Ukjent kategori" in text
    assert "3" in text and "4" in text  # the rows are named
    page.get_by_text("tjenester_feil.csv: 2 rader lest, 1 hoppet over").wait_for()
    _map(page)
    screenshot(page, "05_opplasting_feil")


def test_suggestion_export_and_scenario_round_trip(page: Any, tmp_path: Any) -> None:
    _map(page)
    # suggestions: one click, results named with a bydel, added as candidates
    page.get_by_role("tab", name="Forslag").click()
    page.get_by_role("button", name="Foreslå steder").click()
    sites = _grid_text(page, "suggest_sites")
    assert any(name in sites for name in BYDEL_NAMES)
    _wait_idle(page)
    page.locator(".st-key-suggest_sites").scroll_into_view_if_needed()
    screenshot(page, "06_forslag")
    page.get_by_role("button", name="Legg forslagene til som kandidater").click()
    _wait_idle(page)
    # export: the bydel table as XLSX through the download button
    page.get_by_role("tab", name="Eksport").click()
    page.get_by_text("Tabell", exact=True).click()
    _wait_idle(page)
    page.get_by_role("button", name="Lag fil").click()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"Last ned dekning_tabell.*\.xlsx")).click()
    target = tmp_path / "tabell.xlsx"
    download.value.save_as(target)
    assert target.read_bytes()[:2] == b"PK"  # an XLSX (zip) file
    screenshot(page, "07_eksport")
    # scenario: save, clear, reopen
    page.get_by_role("tab", name="Scenarier").click()
    page.get_by_label("Navn på scenario").fill("E2E forslag")
    page.get_by_label("Laget av").fill("test")
    page.get_by_role("button", name="Lagre").click()
    page.get_by_text("Lagret «E2E forslag» versjon 1.").wait_for()
    listing = _grid_text(page, "scn_list")
    assert "E2E forslag" in listing and "test" in listing
    page.get_by_role("tab", name="Kart og kandidater").click()
    page.get_by_text("Endre navn eller fjern kandidater").click()
    page.get_by_role("button", name="Fjern alle kandidater").click()
    page.get_by_text("Ingen kandidater ennå").wait_for()
    page.get_by_role("tab", name="Scenarier").click()
    page.get_by_role("button", name="Åpne").click()
    page.get_by_role("tab", name="Kart og kandidater").click()
    assert "Forslag 1" in _grid_text(page, "cand_summary")
    # back on the map tab the map component is new: it gets the map page again, and the
    # reopened candidates are drawn on it
    frame = _map(page)
    frame.locator(".oc-cand").first.wait_for(state="attached")
    screenshot(page, "08_scenario_gjenapnet")


def test_network_basis_year_and_unplaced_services_are_shown(page: Any) -> None:
    """Real data in the app: the residents' year, the unplaced services, how each bydel is measured."""
    _map(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    year = page.locator(".st-key-population_year")
    shown = year.inner_text() + " ".join(
        year.locator("input").evaluate_all("els => els.map(e => e.value)")
    )
    assert "2026" in shown, shown
    page.get_by_text("Ikke plassert: 9 tilbud uten kjent plassering").click()
    unplaced = _grid_text(page, "unplaced_table")
    assert "Dalsbergstien" in unplaced and "Herslebs gate 43" in unplaced
    sidebar.get_by_text("Gangnett (OSM)").click()
    page.get_by_text("Gangavstand langs gangnettet", exact=False).first.wait_for(
        timeout=STEP_TIMEOUT_MS
    )
    _wait_idle(page)
    page.get_by_role("tab", name="Sammenlign bydeler").click()
    text = _grid_text(page, "compare_table")
    assert "gangnett" in text and "luftlinje (gangnettet når bare 0 % av innbyggerne)" in text
    screenshot(page, "07_gangnett")


def test_proposal_a_shows_six_zones_and_the_unassigned_centre(page: Any) -> None:
    """The zone-set selector: proposal A (not adopted) draws its six bydeler and Sentrum apart."""
    _map(page)
    choose(page, "zone_set", "Forslag A (høring 2025), ikke vedtatt")
    _wait_idle(page)
    frame = map_frame(page)
    deadline = time.monotonic() + 120
    while frame.locator("path.oc-bydel").count() != 7 and time.monotonic() < deadline:
        time.sleep(0.5)  # the map is redrawn once the run with the new zones has finished
    assert frame.locator("path.oc-bydel").count() == 7  # Bydel 1–6 + «Ikke tildelt (Sentrum)»
    page.get_by_role("tab", name="Sammenlign bydeler").click()
    text = _grid_text(page, "compare_table")
    for name in ["Bydel 1", "Bydel 6", "Ikke tildelt (Sentrum)", "Hele byen"]:
        assert name in text, name
    screenshot(page, "09_forslag_a")
