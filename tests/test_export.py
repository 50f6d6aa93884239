from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from geo import export
from geo.analysis.metrics import coverage_table
from geo.analysis.privacy import HIDDEN, SMALL
from geo.data.datasets import source_line
from geo.data.services import load_candidates
from geo.labels import format_metric, format_number
from geo.maps import layout as carto
from geo.maps.classes import classify
from geo.maps.layers import displaced_xy, label_points
from geo.maps.layout import PrintOptions

ROOT = Path(__file__).resolve().parent.parent
MM_TO_PT = 72 / 25.4
TODAY = dt.date.today().strftime("%d.%m.%Y")


@pytest.fixture(scope="module")
def tables(study):
    table = coverage_table(study)
    candidates = load_candidates(ROOT / "data" / "candidates_example.csv").frame
    scenario = coverage_table(study, extra_sites=candidates)
    return table, scenario, candidates


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _page_mm(page) -> tuple[float, float]:
    return float(page.mediabox.width) / MM_TO_PT, float(page.mediabox.height) / MM_TO_PT


# ---------------------------------------------------------------------- static maps
def test_png_300_dpi_has_the_pixel_size_of_a4(study, tmp_path):
    fig = export.build_map(
        "overview", study, options=PrintOptions(paper="A4", orientation="landscape")
    )
    path = export.export_map(tmp_path / "kart.png", fig, dpi=300)
    width, height = Image.open(path).size
    assert abs(width - 297 / 25.4 * 300) <= 1  # 3508 px
    assert abs(height - 210 / 25.4 * 300) <= 1  # 2480 px


def test_png_a3_portrait_at_low_dpi(study, tables, tmp_path):
    table, _, _ = tables
    fig = export.build_map(
        "choropleth", study, table, options=PrintOptions(paper="A3", orientation="portrait")
    )
    width, height = Image.open(export.export_map(tmp_path / "a3.png", fig, dpi=40)).size
    assert abs(width - 297 / 25.4 * 40) <= 1
    assert abs(height - 420 / 25.4 * 40) <= 1


def test_overview_pdf_has_page_size_and_every_map_element(study, tmp_path):
    fig = export.build_map(
        "overview", study, options=PrintOptions(paper="A4", orientation="landscape")
    )
    path = export.export_map(tmp_path / "oversikt.pdf", fig)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    w, h = _page_mm(reader.pages[0])
    assert abs(w - 297) < 0.5 and abs(h - 210) < 0.5
    text = _pdf_text(path)
    for expected in [
        "Lavterskeltilbud i Oslo etter kategori",  # title
        "Kilde: Bydelsgrenser: Oslo kommune (PBE), 2013",
        "Tjenester:",
        "Brukerrom (1)",  # legend label with count
        "Bydelsgrense",
        "km",  # scale bar
        "Målestokk 1:",
        "EUREF89 UTM sone 32, EPSG:25832",
        "pbe2013",
        f"Laget {TODAY}",
        "Utsnitt: sentrum",
        "N",
    ]:
        assert expected in text, expected
    # exactly the datasets drawn: no population, no OpenStreetMap
    assert "Befolkning" not in text and "OpenStreetMap" not in text
    # services without coordinates are named, not silently dropped
    assert "Ikke vist (ukjent plassering): 9 tilbud" in text


def test_choropleth_pdf_legend_classes_and_sources(study, tables, tmp_path):
    table, _, _ = tables
    fig = export.build_map("choropleth", study, table, metric="share_within_threshold")
    path = export.export_map(tmp_path / "tema.pdf", fig)
    w, h = _page_mm(PdfReader(path).pages[0])
    assert abs(w - 210) < 0.5 and abs(h - 297) < 0.5  # choropleth defaults to portrait
    text = _pdf_text(path)
    assert "Andel innen 500 m per bydel" in text
    assert "(høyere er bedre)" in text
    assert "0 %  (11 bydeler)" in text  # 11 bydeler have nobody within 500 m: own class
    assert "Hele byen" in text and "Befolkning: Statistisk sentralbyrå, 2026" in text
    assert "Bosted (rutenett 100 m): Statistisk sentralbyrå, 2015" in " ".join(text.split())
    assert "naturlige brudd (Fisher–Jenks)" in text


def test_svg_is_vector_with_real_text(study, tables, tmp_path):
    table, _, _ = tables
    fig = export.build_map(
        "choropleth",
        study,
        table,
        metric="median_distance_m",
        options=PrintOptions(orientation="landscape"),
    )
    svg = export.export_map(tmp_path / "tema.svg", fig).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Medianavstand (m) per bydel" in svg and "Kilde:" in svg
    assert "<image" not in svg  # no raster inside


def test_candidate_map_names_fictitious_candidates(study, tables, tmp_path):
    table, scenario, candidates = tables
    fig = export.build_map("candidates", study, table, scenario, candidates)
    text = _pdf_text(export.export_map(tmp_path / "kand.pdf", fig))
    today = format_metric("share_within_threshold", table["share_within_threshold"].iloc[-1])
    later = format_metric("share_within_threshold", scenario["share_within_threshold"].iloc[-1])
    assert f"I dag: {today}" in text and f"Med kandidater: {later}" in text
    assert "FIKTIV eksempel" in text and "Kandidatene er FIKTIVE eksempler" in text
    assert "Innen 500 m fra" in text


def test_candidate_map_needs_candidates(study, tables):
    table, _, _ = tables
    with pytest.raises(ValueError, match="kandidatsteder"):
        export.build_map("candidates", study, table)


def test_tiles_fall_back_to_plain_background_without_attribution(study, tmp_path):
    fig = export.build_map("overview", study, options=PrintOptions(background="tiles"))
    text = _pdf_text(export.export_map(tmp_path / "tiles.pdf", fig))
    try:
        import contextily  # noqa: F401
    except ImportError:
        assert "Bakgrunnskart var ikke tilgjengelig" in text
        assert "OpenStreetMap" not in text


def test_bad_paper_and_format_give_clear_messages(study, tmp_path):
    with pytest.raises(ValueError, match="papirformat"):
        export.build_map("overview", study, options=PrintOptions(paper="A5"))
    fig = export.build_map("overview", study)
    with pytest.raises(ValueError, match="kartformat"):
        export.export_map(tmp_path / "kart.tif", fig)


# ---------------------------------------------------------------------- cartography helpers
def test_classify_puts_zeros_in_their_own_class_and_fits_k_to_the_data():
    values = [0, 0, 0, 0, 0.1, 0.2, 0.5, 0.6, np.inf]
    classes = classify(values, "share_within_threshold", k=5)
    assert classes.bins[0] == 0
    assert classes.index.tolist() == [0, 0, 0, 0, 1, 1, 2, 2, -1]
    assert classes.labels == ["0 %", "10 – 20 %", "50 – 60 %"]
    assert classes.counts == [4, 2, 2]


def test_classify_with_fixed_bins_and_quantiles():
    fixed = classify([100, 900, 2500], "median_distance_m", bins=[500, 1000, 3000])
    assert fixed.index.tolist() == [0, 1, 2]
    assert fixed.labels[2] == "2\u00a0500 m"
    quant = classify(np.arange(1, 17), "n_services", method="quantiles", k=4)
    assert quant.counts == [4, 4, 4, 4]


def test_source_line_lists_osm_only_when_used():
    plain = source_line(["bydeler_pbe2013", "population_series"])
    assert (
        plain
        == "Kilde: Bydelsgrenser: Oslo kommune (PBE), 2013 · Befolkning: Statistisk sentralbyrå, 2026"
    )
    assert "OpenStreetMap" in source_line(["walk_network"])
    assert source_line([], tiles=True).endswith("© OpenStreetMap-bidragsytere")


def test_north_arrow_points_to_true_north():
    # Oslo lies 1.75° east of UTM zone 32's central meridian: convergence ≈ 1.75° · sin(59.9°) ≈ 1.5°
    assert carto.true_north_angle(597_000, 6_643_000) == pytest.approx(-1.51, abs=0.02)


def test_crowded_markers_are_spread_on_a_ring_without_overlap():
    # four services at one address, one 12 m away (same group), one 50 m away (alone); size 10 m
    xy = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, -12.0], [50.0, 0.0]])
    shown, moved = displaced_xy(xy, 10.0)
    assert moved.tolist() == [True, True, True, True, True, False]
    centre = xy[:5].mean(axis=0)
    radius = max(9.0, 7.0 / np.sin(np.pi / 5))  # 11.9 m
    assert np.allclose(np.hypot(*(shown[:5] - centre).T), radius)
    gaps = [np.hypot(*(shown[a] - shown[b])) for a in range(5) for b in range(a + 1, 5)]
    assert min(gaps) >= 1.4 * 10.0 - 1e-9
    # the one south of the address gets a southernmost slot (leader lines do not cross)
    assert shown[4, 1] == pytest.approx(min(shown[:5, 1]))
    assert shown[5].tolist() == [50.0, 0.0]


def test_label_points_lie_inside_each_bydel(zones):
    points = label_points(zones.geometry)
    assert all(geom.contains(point) for geom, point in zip(zones.geometry, points, strict=True))


def test_norwegian_number_format():
    assert format_number(689525) == "689\u00a0525"
    assert format_number(-1654.4) == "\u22121\u00a0654"
    assert format_metric("share_within_threshold", 0.0243) == "2,4 %"
    assert format_metric("p90_distance_m", 8838.2) == "8\u00a0838 m"


# ---------------------------------------------------------------------- tables
def test_xlsx_sheets_headers_formats_and_about_sheet(tables, tmp_path):
    table, scenario, candidates = tables
    path = export.export_table(tmp_path / "tabell.xlsx", table, scenario, candidates=candidates)
    book = load_workbook(path)
    assert book.sheetnames == ["Bydeler", "Kandidatsammenligning", "Kandidater", "Om tabellen"]
    sheet = book["Bydeler"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["Bydelsnummer", "Bydel", "Innbyggere", "Antall tilbud"]
    assert "Andel innen 500 m" in headers
    assert sheet.max_row == 18  # header + 16 bydeler + Hele byen
    assert sheet.cell(row=18, column=2).value == "Hele byen"
    assert sheet.cell(row=18, column=2).font.bold
    share = headers.index("Andel innen 500 m") + 1
    assert sheet.cell(row=2, column=share).number_format == "0.0%"
    assert sheet.freeze_panes == "C2"
    compare = [c.value for c in book["Kandidatsammenligning"][1]]
    assert "Andel innen 500 m – i dag" in compare and "Andel innen 500 m – endring" in compare
    about = [(r[0].value, r[1].value) for r in book["Om tabellen"].iter_rows(min_row=2)]
    topics = {t for t, _ in about}
    assert {"Laget", "Innstilling", "Kilde", "Definisjon", "Små tall", "Koordinatsystem"} <= topics
    assert any("Oslo kommune (PBE)" in text for t, text in about if t == "Kilde")


def test_csv_is_utf8_with_bom_for_excel(tables, tmp_path):
    table, _, _ = tables
    path = export.export_table(tmp_path / "tabell.csv", table)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Grünerløkka" in text and "Østensjø" in text and "Søndre Nordstrand" in text
    back = pd.read_csv(
        path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Bydelsnummer": str}
    )
    assert back["Bydelsnummer"].iloc[0] == "030101"
    assert np.allclose(back["Andel innen 500 m"], table["share_within_threshold"])


def test_csv_with_scenario_is_the_candidate_comparison(tables, tmp_path):
    table, scenario, _ = tables
    path = export.export_table(tmp_path / "kand.csv", table, scenario)
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    change = back["Andel innen 500 m – endring"]
    expected = scenario["share_within_threshold"] - table["share_within_threshold"]
    assert np.allclose(change, expected)
    assert (change >= -1e-12).all()  # adding sites never lowers coverage


# ---------------------------------------------------------------------- small numbers in every export
@pytest.fixture(scope="module")
def user_table(study):
    from geo.analysis.metrics import spread_user_data

    user = pd.DataFrame({"bydel_code": ["030101", "030102", "030103"], "visits": [3, 12, 40]})
    weights = spread_user_data(study.demand, user, "visits", kind="aggregate")
    return coverage_table(study, weights=weights)


def test_small_counts_suppressed_in_csv_and_xlsx(user_table, tmp_path):
    csv_text = export.export_table(tmp_path / "u.csv", user_table).read_text(encoding="utf-8-sig")
    rows = {line.split(";")[1]: line.split(";") for line in csv_text.splitlines()[1:]}
    header = csv_text.splitlines()[0].lstrip("\ufeff").split(";")
    users = header.index("Brukere/besøk (vekt)")
    assert rows["Gamle Oslo"][users] == SMALL
    assert rows["Grünerløkka"][users] == HIDDEN
    assert rows["Hele byen"][users] == "55"
    book = load_workbook(export.export_table(tmp_path / "u.xlsx", user_table))
    cells = {r[1].value: r[users].value for r in book["Bydeler"].iter_rows(min_row=2)}
    assert cells["Gamle Oslo"] == SMALL and cells["Sagene"] == 40
    about = " ".join(str(r[1].value) for r in book["Om tabellen"].iter_rows(min_row=2))
    assert "«<5»" in about


def test_small_counts_suppressed_in_choropleth_labels(study, user_table, tmp_path):
    fig = export.build_map("choropleth", study, user_table, metric="population")
    text = _pdf_text(export.export_map(tmp_path / "u.pdf", fig))
    assert "<5" in text
    assert "\n3\n" not in text and "\n12\n" not in text


def test_protected_choropleth_legend_shows_rounded_bounds_only(study, user_table, tmp_path):
    fig = export.build_map("choropleth", study, user_table, metric="population")
    text = _pdf_text(export.export_map(tmp_path / "u2.pdf", fig))
    assert "Brukere/besøk (vekt) per bydel" in text
    assert "<5 – 40" in text  # values 3, 12 and 40 in one class with a rounded upper bound
    assert "avrundede grenser" in text
    lines = [line.strip() for line in text.splitlines()]
    assert "12" not in lines and "3" not in lines  # Gamle Oslo's 3 and Grünerløkka's 12 hidden
    assert "40" in lines and "55" in lines  # Sagene and the whole city are shown


def test_bytes_for_download_buttons(study, tables):
    table, scenario, candidates = tables
    assert export.table_bytes(table, fmt="csv").startswith(b"\xef\xbb\xbf")
    assert export.table_bytes(table, scenario, "xlsx", candidates)[:2] == b"PK"
    fig = export.build_map("overview", study)
    assert export.map_bytes(fig, "pdf")[:5] == b"%PDF-"
    assert export.map_bytes(fig, "png", dpi=20)[:8] == b"\x89PNG\r\n\x1a\n"
    assert export.file_name("overview", "png", "A4", "landscape").startswith(
        "dekning_oversikt_A4_liggende_"
    )
    assert set(export.MIME_TYPES) >= {"png", "pdf", "svg", "xlsx", "csv", "html"}


def test_residents_are_not_suppressed(tables):
    table, _, _ = tables
    shown = export.comparison_table(table)
    assert shown["Innbyggere"].map(lambda v: isinstance(v, (int, float))).all()


# ---------------------------------------------------------------------- report
def test_report_pdf_pages_sizes_and_text(study, tables, tmp_path):
    table, scenario, candidates = tables
    path = export.export_report(tmp_path / "rapport.pdf", study, table, scenario, candidates)
    reader = PdfReader(path)
    n = len(reader.pages)
    assert n == 8  # the first text page runs over: settings, key numbers, unplaced services
    sizes = [_page_mm(p) for p in reader.pages]
    portrait = [s for s in sizes if abs(s[0] - 210) < 0.5 and abs(s[1] - 297) < 0.5]
    landscape = [s for s in sizes if abs(s[0] - 297) < 0.5 and abs(s[1] - 210) < 0.5]
    assert len(portrait) == 7 and len(landscape) == 1  # the candidate map is landscape
    text = _pdf_text(path)
    for expected in [
        "Dekning av lavterskeltilbud i Oslo",
        "Innstillinger",
        "Nøkkeltall for hele byen",
        "Ikke plassert (9 tilbud, teller ikke i målene)",
        "Lavterskeltilbud i Oslo etter kategori",
        "Sammenligning av bydelene",
        "Kandidatsteder: endring per bydel",
        "Definisjoner og kilder",
        "Kilde:",
        "Lokaliseringskvotient",
        "Målestokk 1:",
        f"Side 1 av {n}",
        f"Side {n} av {n}",
    ]:
        assert expected in text, expected


def test_report_without_candidates_is_shorter(study, tables, tmp_path):
    table, _, _ = tables
    reader = PdfReader(export.export_report(tmp_path / "r.pdf", study, table))
    assert len(reader.pages) == 6


# ---------------------------------------------------------------------- HTML
def test_html_is_self_contained(study, tables, tmp_path):
    table, _, _ = tables
    path = export.export_html(export.html_map(study, table), tmp_path / "k.html")
    html = path.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "Grünerløkka" in html
    assert 'src="http' not in html and 'href="http' not in html


# ---------------------------------------------------------------------- CLI
def test_cli_export_table_and_map(tmp_path, data_dir):
    from geo.cli.main import main

    out = tmp_path / "t.csv"
    assert main(["export", "table", "--cell", "500", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    png = tmp_path / "m.png"
    code = main(
        [
            "export",
            "map",
            "--kind",
            "overview",
            "--paper",
            "A4",
            "--orientation",
            "portrait",
            "--dpi",
            "30",
            "--cell",
            "500",
            "--out",
            str(png),
        ]
    )
    assert code == 0
    assert abs(Image.open(png).size[0] - 210 / 25.4 * 30) <= 1


def test_title_and_subtitle_can_be_replaced(study, tmp_path):
    fig = export.build_map(
        "overview", study, options=PrintOptions(title="Sak 24/1234: tilbud", subtitle="Vedlegg 2")
    )
    text = _pdf_text(export.export_map(tmp_path / "t.pdf", fig))
    assert "Sak 24/1234: tilbud" in text and "Vedlegg 2" in text
    assert "Lavterskeltilbud i Oslo etter kategori" not in text
    assert "Kilde:" in text  # the footer is untouched


def test_cli_unwritable_output_is_a_clear_error(tmp_path, capsys, data_dir):
    from geo.cli.main import main

    blocker = tmp_path / "fil"
    blocker.write_text("x")
    code = main(["export", "table", "--cell", "500", "--out", str(blocker / "t.csv")])
    assert code == 2
    assert "Kunne ikke skrive filen" in capsys.readouterr().err


def test_cli_candidate_map_without_candidates_is_a_clear_error(tmp_path, capsys, data_dir):
    from geo.cli.main import main

    code = main(
        ["export", "map", "--kind", "candidates", "--cell", "500", "--out", str(tmp_path / "x.png")]
    )
    assert code == 2
    assert "--candidates" in capsys.readouterr().err
