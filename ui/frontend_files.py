"""Streamlit's own frontend files (its ``/static/...`` bundles) answered from memory.

A new browser fetches about 110 of these files (3 MB of JavaScript, CSS and fonts), most of them
while its first page run is under way. Streamlit serves each through its whole middleware stack
and Starlette's ``StaticFiles`` (a ``stat`` and file reads in worker threads): ~2.5 ms of the
server's CPU per file, ~0.27 s per new browser on a 2-core machine, taken from the same
interpreter (and GIL) that computes the page. The browser cannot start the app before its module
graph has arrived, so that time is spent waiting.

:class:`FrontendFiles` is an ASGI middleware (``st.App(middleware=...)``, ahead of Streamlit's own)
that answers a ``GET``/``HEAD`` of such a file from memory, with Streamlit's headers for it:
the files are content-hashed, so ``Cache-Control: public, immutable, max-age=31536000``. It only
answers for names it found in Streamlit's ``static/static`` folder when the server started, so
no request path reaches the file system; everything else (the page itself, ``index.html``, the
app's own ``/app/static``, ranges, unknown names) goes on to Streamlit unchanged.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import config, file_util

__all__ = ["FrontendFiles", "frontend_file_names"]

_IMMUTABLE = b"public, immutable, max-age=31536000"  # as Streamlit's own static route


def frontend_file_names(static_dir: Path) -> dict[str, Path]:
    """``{"/static/js/index.….js": path}`` for every file of Streamlit's hashed bundles."""
    assets = static_dir / "static"
    if not assets.is_dir():
        return {}
    return {
        "/" + path.relative_to(static_dir).as_posix(): path
        for path in assets.rglob("*")
        if path.is_file()
    }


class _File:
    """One file's body and response headers, read on its first request."""

    __slots__ = ("body", "etag", "headers", "not_modified_headers")

    def __init__(self, path: Path) -> None:
        self.body = path.read_bytes()
        self.etag = ('"' + hashlib.md5(self.body, usedforsecurity=False).hexdigest() + '"').encode()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/"):  # as Starlette's responses
            kind += "; charset=utf-8"
        self.not_modified_headers = [(b"etag", self.etag), (b"cache-control", _IMMUTABLE)]
        self.headers = [
            (b"content-type", kind.encode()),
            (b"content-length", str(len(self.body)).encode()),
            *self.not_modified_headers,
        ]


class FrontendFiles:
    """ASGI middleware: Streamlit's hashed frontend files from memory, the rest to ``app``."""

    def __init__(self, app: ASGIApp, static_dir: str | os.PathLike[str] | None = None) -> None:
        self.app = app
        base = (config.get_option("server.baseUrlPath") or "").strip("/")
        prefix = f"/{base}" if base else ""
        names = frontend_file_names(Path(static_dir or file_util.get_static_dir()))
        self._paths = {prefix + name: path for name, path in names.items()}
        self._files: dict[str, _File] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a known frontend file from memory; pass anything else on unchanged."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        source = self._paths.get(path)
        if source is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        if b"range" in headers:  # partial requests: Streamlit's own route answers them
            await self.app(scope, receive, send)
            return
        file = self._files.get(path)
        if file is None:
            file = self._files[path] = _File(source)
        if headers.get(b"if-none-match") == file.etag:
            not_modified = file.not_modified_headers
            await send({"type": "http.response.start", "status": 304, "headers": not_modified})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": file.headers})
        body = file.body if scope["method"] == "GET" else b""
        await send({"type": "http.response.body", "body": body})
