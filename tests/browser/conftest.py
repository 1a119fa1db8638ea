"""A real Siyu server (seeded demo on its own SQLite file) and Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Seeding the demo (fans, orders and every module's data) takes a while on a busy machine.
READY_TIMEOUT_SECONDS = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the demo server: run commands against its store with it."""
    db = tmp_path_factory.mktemp("browser") / "siyu.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(
        SIYU_DATABASE_URL=f"sqlite:///{db}",
        SIYU_SCHEDULER_ENABLED="false",
        SIYU_DEMO_ORDERS="3000",  # enough fans and orders for every page, quick to seed
    )
    return env


@pytest.fixture(scope="session")
def server(server_env: dict[str, str]) -> Iterator[str]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    env = server_env
    port = _free_port()
    # The server's log goes to a file: a pipe nobody reads fills up, and the server's next log
    # line then blocks its event loop for good.
    log = Path(env["SIYU_DATABASE_URL"].removeprefix("sqlite:///")).with_name("server.log")
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "siyu.cli", "demo", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_until_ready(base: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"siyu demo exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"siyu demo did not become ready in {READY_TIMEOUT_SECONDS} s")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1360, "height": 860})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
