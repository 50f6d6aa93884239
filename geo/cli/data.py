"""Data commands: ``datasets``, ``fetch``, ``validate``, ``network-cache``, ``isochrones``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from geo import settings
from geo.cli.common import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK, add_distance_arguments
from geo.data.datasets import DATASETS, list_datasets
from geo.data.download import fetch, fetch_all
from geo.data.services import load_candidates, located, looks_like_services, read_services
from geo.errors import NetworkUnavailableError
from geo.inputs.read import read_any
from geo.labels import NOTE_FALLBACK, NOTE_NETWORK, NOTE_STRAIGHT
from geo.network.build import download_walk_network, format_speed, load_walk_network, network_dirs
from geo.network.isochrones import DEFAULT_ISOCHRONE_BUFFER_M, isochrones, straight_isochrones

__all__ = [
    "add_commands",
]


def _cmd_datasets(args: argparse.Namespace) -> int:
    frame = list_datasets(args.data_dir)
    print(f"Datamappe: {settings.data_dir(args.data_dir)}")
    if args.format == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=2))
    else:
        for rec in frame.astype(str).to_dict("records"):
            print(
                f"\n{rec['key']}: {rec['title']}\n  funnet: {rec['found_at']}\n"
                f"  kilde: {rec['source']} · lisens: {rec['licence']} · dato: {rec['date'] or '–'}"
            )
            if rec["url"]:
                print(f"  offentlig kilde: {rec['url']}")
    missing = frame[(frame["found_at"] == "mangler") & ~frame["optional"]]
    for key in missing["key"]:
        print(f"Mangler: {key}", file=sys.stderr)
    return EXIT_OK if missing.empty or args.allow_missing else EXIT_BAD_INPUT


class _ProgressLine:
    """Prints a download's progress to stderr, one line per tenth (no flood in logs)."""

    def __init__(self) -> None:
        self.shown: dict[str, int] = {}

    def __call__(self, key: str, done: int, total: int) -> None:
        step = int(10 * done / total) if total else 0
        if total and step != self.shown.get(key, -1):
            self.shown[key] = step
            print(f"  {key}: {100 * done // total} % av {total / 1e6:.1f} MB", file=sys.stderr)


def _cmd_fetch(args: argparse.Namespace) -> int:
    if args.all:
        outcomes = fetch_all(args.data_dir, progress=_ProgressLine())
        for outcome in outcomes:
            if outcome.status != "fantes":
                print(f"{outcome.key}: {outcome.status} – {outcome.message}")
        present = sum(o.status != "feil" for o in outcomes)
        print(f"Referansedata: {present} av {len(outcomes)} datasett finnes.")
        failed = [o.key for o in outcomes if o.status == "feil" and not DATASETS[o.key].optional]
        if failed:
            print(f"Mangler fortsatt (nødvendig): {', '.join(failed)}", file=sys.stderr)
        return EXIT_BAD_INPUT if failed else EXIT_OK
    if args.dataset is None:
        print("Oppgi et datasett (se `oslo-coverage datasets`) eller --all.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.dataset in ("network", "walk_network"):
        path = download_walk_network()
    elif args.dataset in DATASETS:
        path = fetch(args.dataset, progress=_ProgressLine())
    else:
        print(
            f"Ukjent datasett «{args.dataset}». Kjente: {', '.join(DATASETS)}, network.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    print(f"Lagret {args.dataset} i {path}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:

    kind = args.as_
    if kind == "auto":
        result = read_any(args.file)
        # a table with a category column is a service registry, and is checked as one
        kind = "services" if looks_like_services(list(result.frame.columns)) else "auto"
    if kind in ("services", "candidates"):
        result = read_services(args.file, require_coordinates=kind == "candidates")
        print(
            f"Lest som tjenesteregister ({'kandidater' if kind == 'candidates' else 'tjenester'})."
        )
    frame = result.problems_frame()
    placed = ""
    if kind in ("services", "candidates"):
        n_placed = len(located(result.frame, None))
        placed = f", {n_placed} med plassering, {len(result.frame) - n_placed} ikke plassert"
    print(
        f"{Path(args.file).name}: {result.n_input_rows} rader lest, {len(result.frame)} gode rader"
        f"{placed} ({result.kind}, koordinater: {result.coord_system})."
    )
    if len(frame):
        print(frame.to_string(index=False), file=sys.stderr)
    return EXIT_BAD_INPUT if result.errors else EXIT_OK


def add_commands(sub: Any) -> None:
    """Register ``datasets``, ``fetch``, ``validate``, ``network-cache`` and ``isochrones``."""
    p = sub.add_parser(
        "datasets", help="list referansedata: hvor de er funnet, kilde, lisens, dato"
    )
    p.add_argument("--data-dir")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--allow-missing", action="store_true", help="exit 0 selv om noe mangler")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser(
        "fetch", help="last ned referansedata fra offentlig kilde (krever internett)"
    )
    p.add_argument("dataset", nargs="?", help="datasettets nøkkel (se `datasets`), eller network")
    p.add_argument("--all", action="store_true", help="last ned alt som mangler")
    p.add_argument("--data-dir")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("validate", help="sjekk en fil og list problemer per rad")
    p.add_argument("file")
    p.add_argument("--as", dest="as_", choices=["auto", "services", "candidates"], default="auto")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "network-cache",
        help="bygg gangnett-cachen (network/oslo_walk.npz) fra OSM-uttrekk (PBF/XML), GraphML eller nedlasting",
    )
    p.add_argument("--data-dir", help="mappe med network/-undermappe")
    p.add_argument(
        "--download", action="store_true", help="last ned fra OpenStreetMap (krever internett)"
    )
    p.set_defaults(func=_cli_network_cache)

    q = sub.add_parser(
        "isochrones", help="gangavstandsområder rundt lokasjoner (GeoJSON eller GPKG)"
    )
    q.add_argument(
        "sites", help="fil med lokasjoner (CSV/XLSX/GeoJSON/GPKG, samme skjema som tilbud)"
    )
    q.add_argument("--meters", type=float, nargs="*", help="terskler i meter, f.eks. 500")
    q.add_argument("--minutes", type=float, nargs="*", help="terskler i gangminutter, f.eks. 10 15")
    add_distance_arguments(q)
    q.add_argument("--buffer", type=float, default=DEFAULT_ISOCHRONE_BUFFER_M, help="korridor (m)")
    q.add_argument("--data-dir", help="mappe med network/-undermappe")
    q.add_argument(
        "--out", required=True, help="utfil (.geojson i EPSG:4326 eller .gpkg i EPSG:25832)"
    )
    q.set_defaults(func=_cli_isochrones)


def _cli_network_cache(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        net = load_walk_network(args.data_dir, allow_download=args.download)
    except NetworkUnavailableError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:  # an extract that cannot be read (OsmReadError): file and reason
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    if net is None:
        folders = ", ".join(str(p) for p in network_dirs(args.data_dir))
        print(
            f"Fant ikke gangnett i {folders}. Legg inn en OSM-fil (PBF eller XML) eller bruk --download."
        )
        return EXIT_BAD_INPUT
    for line in net.meta.get("report", []):
        print(line)
    print(f"Gangnett: {net.describe()} ({time.perf_counter() - started:.1f} s)")
    return EXIT_OK


def _cli_isochrones(args: argparse.Namespace) -> int:

    loaded = load_candidates(args.sites)  # raises geo.io.InputError (exit 2) on unusable files
    for problem in loaded.problems:
        print(problem)
    frame = loaded.frame
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].to_crs(settings.ANALYSIS_CRS)
    xy = np.column_stack([frame.geometry.x, frame.geometry.y])
    id_col = next((c for c in ("name", "id") if c in frame.columns), None)
    ids = frame[id_col].tolist() if id_col else list(range(len(frame)))
    speed = format_speed(args.speed)
    network = load_walk_network(args.data_dir) if args.distance == "network" else None
    if network is None:
        note = (
            NOTE_FALLBACK.format(speed=speed, reason="fant ikke gangnett")
            if args.distance == "network"
            else NOTE_STRAIGHT.format(speed=speed)
        )
        out = straight_isochrones(
            xy, args.meters, minutes=args.minutes, site_ids=ids, speed_kmh=args.speed
        )
    else:
        note = NOTE_NETWORK.format(speed=speed)
        out = isochrones(
            network,
            xy,
            args.meters,
            minutes=args.minutes,
            site_ids=ids,
            speed_kmh=args.speed,
            buffer_m=args.buffer,
        )
    out["note"] = note
    print(note)
    path = Path(args.out)
    if path.suffix == ".gpkg":
        out.to_file(path, driver="GPKG")
    else:  # GeoJSON is longitude/latitude by specification
        out.to_crs(settings.DISPLAY_CRS).to_file(path, driver="GeoJSON")
    print(f"Skrev {len(out)} områder til {path}")
    return 0
