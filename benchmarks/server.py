"""A real ``siyu serve`` process on a scratch store, for benchmarks over loopback HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch_env(database_url: str | None = None) -> tuple[dict[str, str], Path]:
    """Environment for a benchmark store (a fresh SQLite file unless a URL is given)."""
    tmp = Path(tempfile.mkdtemp(prefix="siyu-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(
        SIYU_DATABASE_URL=database_url or f"sqlite:///{tmp / 'bench.db'}",
        SIYU_SCHEDULER_ENABLED="false",
        SIYU_ENV="development",
    )
    return env, tmp


@contextmanager
def running_server(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    with serving(env, workers) as port:
        yield f"http://127.0.0.1:{port}"


@contextmanager
def serving(env: dict[str, str], workers: int = 1, log: Path | None = None) -> Iterator[int]:
    """``siyu serve --workers N`` on a free port, once it answers ``/readyz``; its output goes
    to ``log``. The wait is long: N processes importing the app on a busy 2-core machine took
    over two minutes at a load average of 15."""
    port = _free_port()
    output = log.open("ab") if log else None
    process = subprocess.Popen(
        [sys.executable, "-m", "siyu.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=output or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("siyu serve did not become ready")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)
        if output:
            output.close()
