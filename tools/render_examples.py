"""Render the example exports for the reference data into ``out/`` (git-ignored).

Run: ``.venv/bin/python tools/render_examples.py [--dpi 150]``. Then look at the PNGs and at
the report pages (``pdftoppm -r 60 -png out/rapport.pdf out/rapport``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import export
from geo.analysis.metrics import coverage_table
from geo.data.services import load_candidates
from geo.data.study import Study
from geo.maps.layout import PrintOptions


def main() -> int:
    """Write every example output; prints each path and the time it took."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "out"))
    parser.add_argument("--dpi", type=float, default=150)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    study = Study.load(cell_m=100)
    table = coverage_table(study)
    candidates = load_candidates(ROOT / "data" / "candidates_example.csv").frame
    scenario = coverage_table(study, extra_sites=candidates)
    jobs = [
        ("oversikt_A4_liggende.png", "overview", "A4", "landscape", {}),
        ("oversikt_A4_liggende.pdf", "overview", "A4", "landscape", {}),
        ("oversikt_A3_staende.pdf", "overview", "A3", "portrait", {}),
        ("andel_innen_A4_staende.png", "choropleth", "A4", "portrait", {}),
        (
            "median_A4_liggende.svg",
            "choropleth",
            "A4",
            "landscape",
            {"metric": "median_distance_m"},
        ),
        ("kandidater_A4_liggende.png", "candidates", "A4", "landscape", {}),
        ("kandidater_A4_liggende.pdf", "candidates", "A4", "landscape", {}),
    ]
    for name, kind, paper, orientation, extra in jobs:
        fig = export.build_map(
            kind,
            study,
            table,
            scenario,
            candidates,
            **extra,
            options=PrintOptions(paper=paper, orientation=orientation),
        )
        print(export.export_map(out / name, fig, dpi=args.dpi))
    print(export.export_table(out / "bydeler.xlsx", table, scenario, candidates=candidates))
    print(export.export_table(out / "bydeler.csv", table))
    print(export.export_table(out / "kandidater.csv", table, scenario))
    print(export.export_report(out / "rapport.pdf", study, table, scenario, candidates))
    try:
        print(export.export_html(export.html_map(study, table), out / "kart.html"))
    except RuntimeError as exc:
        print(f"HTML hoppet over: {exc}")
    print(f"{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
