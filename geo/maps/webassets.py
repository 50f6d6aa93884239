"""Serve every script, stylesheet, font and image of the folium maps from the project (no CDN).

folium 0.20.0 links Leaflet, jQuery, Bootstrap, Font Awesome, Leaflet.awesome-markers and its
plugins (markercluster, heat, fullscreen) from public CDNs. On a machine without internet the map
then stays blank. The files are vendored from the npm registry under ``static/vendor/`` (see
``static/vendor/VERSIONS.md`` and ``tools/vendor_web_assets.py``) and

* :func:`localise` points a map's links at those copies, which Streamlit serves at
  ``/app/static/vendor/...`` (``.streamlit/config.toml``: ``server.enableStaticServing``);
* :func:`standalone_html` writes one HTML file with every script and stylesheet inlined and every
  font and image of the stylesheets inlined as ``data:`` URIs, so it opens offline anywhere;
* :func:`external_urls` lists any ``http(s)`` script or stylesheet left in a page (for checks).

Tile URLs (``tiles="osm"``/``"kartverket"`` in :func:`geo.maps.coverage_map`) live inside the
map's JavaScript, not in ``<script>``/``<link>`` tags: they are optional and only fetched when the
user asks for a background map.

How :func:`localise` changes a map
----------------------------------
folium's elements carry their links in the class attributes ``default_js``/``default_css``
(lists of ``(name, url)``), and folium's renderer reads them from each element of the map. :func:`localise` gives **each element of the given map** its
own instance-level lists with local URLs; the folium classes are not touched, so another map
built afterwards still has folium's defaults (no global state leaks between calls). Because
elements may be added after :func:`localise` (for example a layer added by a caller), the map's ``add_child`` and ``render`` are wrapped (on that instance only) so
that they localise what was added.
"""

from __future__ import annotations

import base64
import functools
import html as _html
import mimetypes
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geo.errors import ExternalAssetError

__all__ = [
    "ASSET_MAP",
    "DEFAULT_BASE_URL",
    "css_urls",
    "external_urls",
    "inline_css",
    "local_path",
    "localise",
    "standalone_html",
    "static_dir",
]


DEFAULT_BASE_URL = "/app/static/vendor"
"""Where Streamlit serves ``static/vendor`` (``server.enableStaticServing = true``)."""


ASSET_MAP: dict[str, str] = {
    # folium.Map (folium/folium.py: _default_js, _default_css)
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap/js/bootstrap.bundle.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "leaflet-awesome-markers/leaflet.awesome-markers.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap/css/bootstrap.min.css"
    ),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "bootstrap-glyphicons/css/bootstrap-glyphicons.css"
    ),
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "fontawesome-free/css/all.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "leaflet-awesome-markers/leaflet.awesome-markers.css"
    ),
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (
        "leaflet-awesome-rotate/leaflet.awesome.rotate.min.css"
    ),
    # folium.plugins.MarkerCluster and FastMarkerCluster
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "leaflet.markercluster/leaflet.markercluster.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        "leaflet.markercluster/MarkerCluster.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "leaflet.markercluster/MarkerCluster.Default.css"
    ),
    # folium.plugins.HeatMap
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js": (
        "leaflet-heat/leaflet-heat.js"
    ),
    # folium.plugins.Fullscreen
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "leaflet.fullscreen/Control.FullScreen.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "leaflet.fullscreen/Control.FullScreen.css"
    ),
    # the same jQuery as other folium plugins link it
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js": "jquery/jquery.min.js",
}
"""CDN URL used by folium 0.20.0 → file under ``static/vendor`` (relative path)."""


_TAG_URL = re.compile(
    r"<(?P<tag>script|link)\b(?P<attrs>[^>]*?)\b(?P<attr>src|href)\s*=\s*"
    r"(?P<q>[\"'])(?P<url>[^\"']*)(?P=q)[^>]*>",
    re.IGNORECASE,
)


_ASSET_TAG = re.compile(
    r"(?P<script><script\b[^>]*?\bsrc\s*=\s*(?P<q>[\"'])(?P<src>[^\"']*)(?P=q)[^>]*>\s*</script\s*>)"
    r"|(?P<link><link\b[^>]*>)",
    re.IGNORECASE,
)


_HREF = re.compile(r"\bhref\s*=\s*([\"'])([^\"']*)\1", re.IGNORECASE)


_CSS_URL = re.compile(r"url\(\s*([\"']?)([^\"')]+)\1\s*\)")


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


_MIME = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
}


def static_dir() -> Path:
    """The folder with the vendored assets (``static/vendor`` of the repository).

    Looked up in order: the environment variable ``OSLO_COVERAGE_VENDOR``; ``static/vendor``
    beside the ``geo`` package (the repository, also for an editable install); ``static/vendor``
    in the current directory.

    Raises
    ------
    FileNotFoundError
        When none of them holds ``VERSIONS.md``.

    """
    candidates = []
    if os.environ.get("OSLO_COVERAGE_VENDOR"):
        candidates.append(Path(os.environ["OSLO_COVERAGE_VENDOR"]))
    candidates.append(Path(__file__).resolve().parents[2] / "static" / "vendor")
    candidates.append(Path.cwd() / "static" / "vendor")
    for path in candidates:
        if (path / "VERSIONS.md").is_file():
            return path
    raise FileNotFoundError(
        "Fant ikke de lokale kopiene av kartbibliotekene (static/vendor). Kjør fra "
        "prosjektmappen eller sett OSLO_COVERAGE_VENDOR. Søkt i: "
        + ", ".join(str(p) for p in candidates)
    )


def local_path(url: str, base_url: str | None = None) -> Path | None:
    """The vendored file for a CDN URL (from :data:`ASSET_MAP`) or a local URL under ``base_url``."""
    rel = ASSET_MAP.get(url)
    if rel is None and base_url is not None:
        prefix = base_url.rstrip("/") + "/"
        if url.startswith(prefix):
            rel = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
    if rel is None:
        return None
    root = static_dir().resolve()
    path = (root / rel).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def _walk(element: Any) -> Iterator[Any]:
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def _is_external(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//"))


def _localise_links(
    links: list[tuple[str, str]], base_url: str, unknown: list[str]
) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        rel = ASSET_MAP.get(url)
        if rel is not None:
            out.append((name, f"{base_url.rstrip('/')}/{rel}"))
        else:
            if _is_external(url):
                unknown.append(url)
            out.append((name, url))
    return out


def _apply(root: Any, base_url: str, strict: bool) -> None:
    unknown: list[str] = []
    for element in _walk(root):
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if isinstance(links, list) and links:
                # an instance attribute: the class-level list of folium stays untouched
                setattr(element, attr, _localise_links(links, base_url, unknown))
    root._oslo_asset_base = base_url
    if unknown and strict:
        raise ExternalAssetError(
            "Kartet bruker skript/stilark uten lokal kopi (ville krevd internett): "
            + ", ".join(dict.fromkeys(unknown))
            + ". Legg dem til i static/vendor og geo.webassets.ASSET_MAP."
        )


def _render_localised(element: Any, base_url: str, strict: bool, **kwargs: Any) -> Any:
    _apply(element, base_url, strict)
    return type(element).render(element, **kwargs)


def _add_child_localised(
    element: Any, base_url: str, strict: bool, child: Any, name: Any = None, index: Any = None
) -> Any:
    out = type(element).add_child(element, child, name=name, index=index)
    _apply(child, base_url, strict)
    return out


def localise(m: Any, base_url: str = DEFAULT_BASE_URL, strict: bool = True) -> Any:
    """Point every JS/CSS link of a map (and of all its children) at the vendored copies.

    Parameters
    ----------
    m
        A :class:`folium.Map` (or any folium element, e.g. a feature group).
    base_url
        URL under which ``static/vendor`` is served; Streamlit's static serving by default.
    strict
        Raise :class:`ExternalAssetError` when a child links an ``http(s)`` script or
        stylesheet that is not in :data:`ASSET_MAP`. With ``False`` such links are left as they
        are (find them with :func:`external_urls`).

    Returns
    -------
    The same map, changed in place: each element gets instance-level ``default_js`` /
    ``default_css`` lists (folium's classes are not changed); ``m.add_child`` is wrapped to
    localise what is added to the map later (e.g. a layer added by a caller) and
    ``m.render`` to localise every element again right before each render.

    """
    _apply(m, base_url, strict)
    m.render = functools.partial(_render_localised, m, base_url, strict)
    m.add_child = functools.partial(_add_child_localised, m, base_url, strict)
    return m


def external_urls(html: str) -> list[str]:
    """Every ``http(s)`` (or protocol-relative) URL in ``src``/``href`` of ``<script>``/``<link>`` tags.

    Tile URL templates inside scripts are not listed: they are not tags.
    """
    found = []
    for match in _TAG_URL.finditer(html):
        url = _html.unescape(match.group("url")).strip()
        if _is_external(url):
            found.append(url)
    return list(dict.fromkeys(found))


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{mime or 'application/octet-stream'};base64,{payload}"


def css_urls(css: str) -> list[str]:
    """The ``url(...)`` references of a stylesheet that point at files (not ``data:``/``#``)."""
    refs = []
    for match in _CSS_URL.finditer(_CSS_COMMENT.sub("", css)):
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            continue
        refs.append(ref)
    return refs


def inline_css(path: Path) -> str:
    """A vendored stylesheet with every relative ``url()`` replaced by a ``data:`` URI.

    Raises
    ------
    ExternalAssetError
        When the stylesheet refers to a remote URL or a file that is not vendored.

    """
    css = path.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            return match.group(0)
        if _is_external(ref):
            raise ExternalAssetError(f"{path.name} viser til {ref}, som krever internett.")
        clean = ref.split("?", 1)[0].split("#", 1)[0]
        target = (path.parent / clean).resolve()
        if not target.is_file():
            raise ExternalAssetError(f"{path.name} viser til {ref}, som mangler i static/vendor.")
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(replace, _CSS_COMMENT.sub("", css))


def _default_icon_script() -> str:
    """Leaflet's default marker icons as data URIs (its path detection fails on data URIs)."""
    images = static_dir() / "leaflet" / "images"
    return (
        "<script>L.Icon.Default.imagePath='';"
        f"L.Icon.Default.prototype.options.iconUrl='{_data_uri(images / 'marker-icon.png')}';"
        "L.Icon.Default.prototype.options.iconRetinaUrl="
        f"'{_data_uri(images / 'marker-icon-2x.png')}';"
        f"L.Icon.Default.prototype.options.shadowUrl='{_data_uri(images / 'marker-shadow.png')}';"
        "</script>"
    )


_JSON_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


_ANCHOR_IN_JS = re.compile(r"'<a href=\"(https?://[^\"']*)\"")


def _literal_unicode(page: str) -> str:
    r"""Write ``ø``-style escapes of non-ASCII letters as the letters (``ø``).

    folium writes its data with JSON escapes; in a UTF-8 page the letters mean the same to the
    browser, the file gets smaller and names like «Grünerløkka» can be found in it. ASCII
    escapes (``<`` for ``<`` etc., which keep the page's HTML safe), surrogates and the
    line separators U+2028/U+2029 stay escaped; an escaped backslash is respected.
    """

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(2), 16)
        if code < 0x80 or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
            return match.group(0)
        return match.group(1) + chr(code)

    return _JSON_ESCAPE.sub(replace, page)


def standalone_html(m: Any) -> str:
    """One self-contained HTML page of a folium map that opens offline.

    Every ``<script src>`` and ``<link rel=stylesheet>`` of the page is replaced by the vendored
    file's content (CDN URLs through :data:`ASSET_MAP`, or local URLs of a map already
    :func:`localise`-d), and every font and image of the stylesheets by a ``data:`` URI.

    Raises
    ------
    ExternalAssetError
        When the page links a script or stylesheet that has no local copy.

    """
    page = _literal_unicode(m.get_root().render())
    base_url = getattr(m, "_oslo_asset_base", DEFAULT_BASE_URL)
    missing: list[str] = []

    def inline(match: re.Match[str]) -> str:
        tag = match.group(0)
        if match.group("script"):
            url = _html.unescape(match.group("src"))
        else:
            href = _HREF.search(tag)
            if "stylesheet" not in tag.lower() or href is None:
                return tag
            url = _html.unescape(href.group(2))
        path = local_path(url, base_url)
        if path is None:
            if _is_external(url) or url.startswith(base_url.rstrip("/") + "/"):
                missing.append(url)
            return tag
        label = path.relative_to(static_dir().resolve()).as_posix()
        if match.group("script"):
            code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
            # Leaflet's attribution link: same string, written so that the page holds no
            # literal href="http… (a simple check for remote resources then stays exact)
            code = _ANCHOR_IN_JS.sub(lambda a: f'\'<a href=\\"{a.group(1)}\\"', code)
            out = f"<script>/* {label} */\n{code}\n</script>"
            if path.name == "leaflet.js":
                out += _default_icon_script()
            return out
        css = inline_css(path).replace("</style", "<\\/style")
        return f"<style>/* {label} */\n{css}\n</style>"

    # one pass, so that the inlined code itself is never scanned for tags
    page = _ASSET_TAG.sub(inline, page)
    if missing:
        raise ExternalAssetError(
            "Kan ikke lage frittstående HTML: ingen lokal kopi av "
            + ", ".join(dict.fromkeys(missing))
        )
    return page
