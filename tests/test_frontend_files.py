"""Streamlit's frontend files from memory: the same bytes and headers as Streamlit's own route."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from streamlit import file_util
from streamlit.web.server.starlette.starlette_static_routes import (
    create_streamlit_static_handler,
)

from ui.frontend_files import FrontendFiles, frontend_file_names

STATIC = Path(file_util.get_static_dir())


def _request(
    app: Any, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request through an ASGI app: status, headers, body."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8501),
    }
    sent: list[dict[str, Any]] = []
    asked: list[bool] = []

    async def receive() -> dict[str, Any]:
        if asked:  # the client stays connected: a server listening for a disconnect waits
            await asyncio.Event().wait()
        asked.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # in a thread of its own: the browser tests' Playwright may hold this thread's event loop
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result(timeout=60)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


class _Downstream:
    """Stands for Streamlit's app behind the middleware: records what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b"streamlit"})


@pytest.fixture(scope="module")
def streamlit_route() -> Any:
    return create_streamlit_static_handler(str(STATIC), None)


def _samples() -> list[str]:
    names = frontend_file_names(STATIC)
    picks = [
        next(n for n in names if n.startswith("/static/js/index.") and n.endswith(".js")),
        next(n for n in names if n.startswith("/static/css/") and n.endswith(".css")),
        next(n for n in names if n.endswith(".woff2")),
    ]
    return picks


def test_the_real_bundle_is_found() -> None:
    names = frontend_file_names(STATIC)
    assert len(names) > 200
    assert all(n.startswith("/static/") for n in names)
    assert "/index.html" not in names  # the page itself stays with Streamlit (no-cache)


@pytest.mark.parametrize("path", _samples())
def test_same_bytes_and_headers_as_streamlit(path: str, streamlit_route: Any) -> None:
    downstream = _Downstream()
    status, headers, body = _request(FrontendFiles(downstream, STATIC), path)
    want_status, want, want_body = _request(streamlit_route, path)
    assert downstream.paths == []  # answered from memory
    assert (status, want_status) == (200, 200)
    assert body == want_body == (STATIC / path.lstrip("/")).read_bytes()
    for name in ("content-type", "content-length", "cache-control"):
        assert headers[name] == want[name], name
    assert "immutable" in headers["cache-control"]


def test_head_conditional_and_repeat() -> None:
    path = _samples()[0]
    files = FrontendFiles(_Downstream(), STATIC)
    status, headers, body = _request(files, path, "HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) == (STATIC / path.lstrip("/")).stat().st_size
    status, again, _ = _request(files, path, headers={"If-None-Match": headers["etag"]})
    assert status == 304 and again["etag"] == headers["etag"]
    status, _, body = _request(files, path)
    assert status == 200 and len(body) == int(headers["content-length"])


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/", "GET", {}),
        ("/index.html", "GET", {}),
        ("/static/js/no-such-file.js", "GET", {}),
        ("/static/../index.html", "GET", {}),
        ("/static/js/../../../../etc/passwd", "GET", {}),
        ("/app/static/vendor/leaflet/leaflet.js", "GET", {}),
        ("/_stcore/health", "GET", {}),
        (_samples()[0], "POST", {}),
        (_samples()[0], "GET", {"Range": "bytes=0-9"}),
    ],
)
def test_everything_else_goes_to_streamlit(path: str, method: str, headers: dict[str, str]) -> None:
    downstream = _Downstream()
    status, _, body = _request(FrontendFiles(downstream, STATIC), path, method, headers)
    assert (status, body, downstream.paths) == (418, b"streamlit", [path])


def test_a_missing_bundle_serves_nothing(tmp_path: Path) -> None:
    downstream = _Downstream()
    status, _, _ = _request(FrontendFiles(downstream, tmp_path), _samples()[0])
    assert status == 418 and frontend_file_names(tmp_path) == {}


def test_base_url_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit import config

    monkeypatch.setattr(
        config,
        "get_option",
        lambda key: "planlegging/" if key == "server.baseUrlPath" else None,
    )
    path = _samples()[0]
    downstream = _Downstream()
    files = FrontendFiles(downstream, STATIC)
    assert _request(files, "/planlegging" + path)[0] == 200
    assert _request(files, path)[0] == 418
