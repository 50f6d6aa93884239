"""Re-create ``static/vendor/``: local copies of every JS/CSS/font/image the folium maps use.

Run at development time only (it needs the npm registry); the app never fetches these at run
time. ``python tools/vendor_web_assets.py`` packs each pinned npm package with ``npm pack`` into a
temporary folder, copies only the distribution files the maps need, makes the few documented
edits below. ``static/vendor/VERSIONS.md`` (written by hand) lists what was vendored; update it
when a pin changes.

Edits to the npm files (all listed in VERSIONS.md):

* ``sourceMappingURL`` comments are removed (the ``.map`` files are not vendored);
* Font Awesome's ``all.min.css`` keeps only the WOFF2 fonts (the TrueType fallbacks are dropped
  from the ``@font-face`` rules; every browser that runs Leaflet 1.9 reads WOFF2);
* ``bootstrap-glyphicons.css`` is the Glyphicons section (``@font-face`` + ``.glyphicon*`` rules)
  of Bootstrap 3.4.1's ``dist/css/bootstrap.css`` with the WOFF2 font only (folium links the
  separate Bootstrap 3.0.0 ``bootstrap-glyphicons.css``, which is not on npm);
* ``leaflet.awesome.rotate.min.css`` (folium's own, not on npm) is generated here:
  ``.fa-rotate-N`` for N = 0 … 359;
* ``leaflet-heat.js`` is folium 0.20.0's bundled ``templates/leaflet_heat.min.js`` (Leaflet.heat
  0.2.0 with the weights fix of Leaflet.heat PR #78), taken from the installed folium wheel, since
  npm's ``leaflet.heat@0.2.0`` lacks that fix and folium's HeatMap relies on it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"

# npm spec, licence, {file inside the package: path under static/vendor}
PACKAGES: list[tuple[str, str, dict[str, str]]] = [
    (
        "leaflet@1.9.3",
        "BSD-2-Clause",
        {
            "dist/leaflet.js": "leaflet/leaflet.js",
            "dist/leaflet.css": "leaflet/leaflet.css",
            "dist/images/layers.png": "leaflet/images/layers.png",
            "dist/images/layers-2x.png": "leaflet/images/layers-2x.png",
            "dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
            "dist/images/marker-icon-2x.png": "leaflet/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png": "leaflet/images/marker-shadow.png",
            "LICENSE": "leaflet/LICENSE",
        },
    ),
    (
        "jquery@3.7.1",
        "MIT",
        {"dist/jquery.min.js": "jquery/jquery.min.js", "LICENSE.txt": "jquery/LICENSE.txt"},
    ),
    (
        "bootstrap@5.2.2",
        "MIT",
        {
            "dist/js/bootstrap.bundle.min.js": "bootstrap/js/bootstrap.bundle.min.js",
            "dist/css/bootstrap.min.css": "bootstrap/css/bootstrap.min.css",
            "LICENSE": "bootstrap/LICENSE",
        },
    ),
    (
        "bootstrap@3.4.1",
        "MIT",
        {
            "dist/fonts/glyphicons-halflings-regular.woff2": (
                "bootstrap-glyphicons/fonts/glyphicons-halflings-regular.woff2"
            ),
            "LICENSE": "bootstrap-glyphicons/LICENSE",
        },
    ),
    (
        "@fortawesome/fontawesome-free@6.2.0",
        "(CC-BY-4.0 AND OFL-1.1 AND MIT)",
        {
            "css/all.min.css": "fontawesome-free/css/all.min.css",
            "webfonts/fa-brands-400.woff2": "fontawesome-free/webfonts/fa-brands-400.woff2",
            "webfonts/fa-regular-400.woff2": "fontawesome-free/webfonts/fa-regular-400.woff2",
            "webfonts/fa-solid-900.woff2": "fontawesome-free/webfonts/fa-solid-900.woff2",
            "webfonts/fa-v4compatibility.woff2": (
                "fontawesome-free/webfonts/fa-v4compatibility.woff2"
            ),
            "LICENSE.txt": "fontawesome-free/LICENSE.txt",
        },
    ),
    (
        # the original Leaflet.awesome-markers 2.0.2 release (lvoogdt), mirrored on npm
        "drmonty-leaflet-awesome-markers@2.0.2",
        "MIT",
        {
            "js/leaflet.awesome-markers.js": "leaflet-awesome-markers/leaflet.awesome-markers.js",
            "css/leaflet.awesome-markers.css": (
                "leaflet-awesome-markers/leaflet.awesome-markers.css"
            ),
            "css/images/markers-soft.png": "leaflet-awesome-markers/images/markers-soft.png",
            "css/images/markers-soft@2x.png": "leaflet-awesome-markers/images/markers-soft@2x.png",
            "css/images/markers-shadow.png": "leaflet-awesome-markers/images/markers-shadow.png",
            "css/images/markers-shadow@2x.png": (
                "leaflet-awesome-markers/images/markers-shadow@2x.png"
            ),
        },
    ),
    (
        "leaflet.markercluster@1.5.3",
        "MIT",
        {
            "dist/leaflet.markercluster.js": "leaflet.markercluster/leaflet.markercluster.js",
            "dist/MarkerCluster.css": "leaflet.markercluster/MarkerCluster.css",
            "dist/MarkerCluster.Default.css": "leaflet.markercluster/MarkerCluster.Default.css",
            "MIT-LICENCE.txt": "leaflet.markercluster/MIT-LICENCE.txt",
        },
    ),
    (
        "leaflet.fullscreen@3.0.0",
        "MIT",
        {
            "Control.FullScreen.js": "leaflet.fullscreen/Control.FullScreen.js",
            "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
            "icon-fullscreen.svg": "leaflet.fullscreen/icon-fullscreen.svg",
            "LICENSE": "leaflet.fullscreen/LICENSE",
        },
    ),
    (
        "leaflet.heat@0.2.0",
        "BSD-2-Clause",
        {"LICENSE": "leaflet-heat/LICENSE"},
    ),
]

_SOURCE_MAP = re.compile(r"\n?/[/*][#@] sourceMappingURL=\S+?(?: \*/)?\s*$")


def _npm_pack(spec: str, workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=workdir, check=True, capture_output=True, text=True
    )
    tgz = workdir / out.stdout.strip().splitlines()[-1]
    target = workdir / tgz.stem
    with tarfile.open(tgz) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def _strip_source_map(path: Path) -> None:
    if path.suffix in (".js", ".css"):
        text = path.read_text(encoding="utf-8")
        path.write_text(_SOURCE_MAP.sub("\n", text).rstrip() + "\n", encoding="utf-8")


def _fontawesome_woff2_only(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r',url\(\.\./webfonts/[^)]+\.ttf\) format\("truetype"\)', "", text)
    path.write_text(text, encoding="utf-8")


def _glyphicons_css(bootstrap3: Path, out: Path) -> None:
    lines = (bootstrap3 / "dist/css/bootstrap.css").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "Glyphicons Halflings" in line) - 1
    end = start + 1
    while end < len(lines) and lines[end].startswith((".glyphicon", "  ", "}")):
        end += 1
    section = "\n".join(lines[start:end])
    section = re.sub(
        r'src: url\("\.\./fonts/glyphicons-halflings-regular\.eot"\);\n\s*src: [^;]+;',
        'src: url("../fonts/glyphicons-halflings-regular.woff2") format("woff2");',
        section,
    )
    header = (
        "/*!\n * Glyphicons section of Bootstrap v3.4.1 dist/css/bootstrap.css (npm bootstrap@3.4.1)\n"
        " * Copyright 2011-2019 Twitter, Inc. Licensed under MIT.\n"
        " * WOFF2 font only. Glyphicons Halflings are licensed to Bootstrap under MIT.\n */\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + section + "\n", encoding="utf-8")


def _rotate_css(out: Path) -> None:
    rules = "".join(
        f".fa-rotate-{n}{{-webkit-transform:rotate({n}deg);transform:rotate({n}deg)}}"
        for n in range(360)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "/* folium's leaflet.awesome.rotate css (extra_classes fa-rotate-N of folium.Icon), "
        "written for oslo-coverage */\n" + rules + "\n",
        encoding="utf-8",
    )


def main() -> int:
    """Pack the pinned packages and copy the needed files into ``static/vendor``."""
    import folium

    if VENDOR.exists():
        for child in VENDOR.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        packs: dict[str, Path] = {}
        for spec, _licence, files in PACKAGES:
            package = _npm_pack(spec, work)
            packs[spec] = package
            for source, target in files.items():
                dest = VENDOR / target
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(package / source, dest)
                _strip_source_map(dest)
        _fontawesome_woff2_only(VENDOR / "fontawesome-free/css/all.min.css")
        _glyphicons_css(
            packs["bootstrap@3.4.1"], VENDOR / "bootstrap-glyphicons/css/bootstrap-glyphicons.css"
        )
    _rotate_css(VENDOR / "leaflet-awesome-rotate/leaflet.awesome.rotate.min.css")
    heat = Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js"
    shutil.copyfile(heat, VENDOR / "leaflet-heat/leaflet-heat.js")
    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"static/vendor: {total / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
