"""Shared by the browser tests: start ``streamlit run app.py`` and the Chromium settings.

A plain module (not a conftest) so both ``conftest.py`` and ``test_load.py`` can import it; pytest
puts ``tests/e2e`` on ``sys.path`` because the folder has no ``__init__.py``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
# the app's map component (ui/leaflet_map) and the frame inside it that holds the Leaflet map
MAP_FRAME = 'iframe[title="ui.leaflet_map.oslo_kart"]'


def map_frame(page: Any) -> Any:
    """The Leaflet map's document inside the map component (sync or async Playwright page)."""
    return page.frame_locator(MAP_FRAME).first.frame_locator("iframe").first


# how long one browser step may wait: the tests check behaviour, not speed (bench/bench_app.py
# times it), and the load test's 20 sessions run beside them on the same two cores
STEP_TIMEOUT_MS = int(float(os.environ.get("OSLO_COVERAGE_E2E_STEP_TIMEOUT_S", "240")) * 1000)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    """Wait for Streamlit's health endpoint; fail early if the server process stopped."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Streamlit stoppet med kode {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("Streamlit svarte ikke på /_stcore/health")


@contextlib.contextmanager
def running_app(
    store_path: Path, log_path: Path, root: Path = ROOT
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The app started the way planners start it, on a free port; yields (url, process).

    ``root`` is the checkout to serve (the benchmark also serves an older one beside it; its
    own ``geo`` package then comes first on the path).
    """
    port = free_port()
    env = dict(os.environ, OSLO_COVERAGE_SCENARIOS=str(store_path))
    if root != ROOT:
        env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(root / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
