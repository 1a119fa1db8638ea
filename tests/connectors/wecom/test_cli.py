"""``siyu wecom connect`` and ``siyu wecom sync`` as an operator runs them: real processes on
their own SQLite file, against the fake corp served over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.connectors.wecom.conftest import corp


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fake_over_http() -> Iterator[tuple[str, object]]:
    fake = corp()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(fake.asgi_app(), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", fake
    server.should_exit = True
    thread.join(timeout=10)


def test_connect_and_sync_from_the_command_line(tmp_path: Path, fake_over_http) -> None:  # type: ignore[no-untyped-def]
    api_base, fake = fake_over_http
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(SIYU_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", SIYU_ENV="development")

    def siyu(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "siyu.cli", *args],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert siyu("workspace", "create", "xiaolu", "--name", "小鹿").returncode == 0
    common = ["--workspace", "xiaolu", "--corp-id", fake.corp_id, "--agent-id", "1000002"]  # type: ignore[attr-defined]
    keys = [
        "--callback-token",
        fake.crypto.token,
        "--encoding-aes-key",
        fake.crypto.encoding_aes_key,
    ]  # type: ignore[attr-defined]
    no_secret = siyu(
        "wecom", "connect", *common, *keys, "--secret-stdin", "--api-base", api_base, stdin=""
    )
    assert no_secret.returncode != 0
    connected = siyu(
        "wecom", "connect", *common, *keys, "--secret-stdin", "--api-base", api_base, "--json",
        stdin=fake.secret + "\n",  # type: ignore[attr-defined]
    )  # fmt: skip
    assert connected.returncode == 0, connected.stderr
    assert fake.secret not in connected.stdout + connected.stderr  # type: ignore[attr-defined]
    assert json.loads(connected.stdout)["callback_path"] == "/wecom/callback/xiaolu"
    synced = siyu("wecom", "sync", "--workspace", "xiaolu", "--json")
    assert synced.returncode == 0, synced.stderr
    counts = json.loads(synced.stdout)
    assert counts["staff"] == 2 and counts["contacts"] == 2 and counts["fans_created"] == 2
    assert counts["tags"] == 2 and counts["groups"] == 1 and counts["group_members"] == 3
    assert {"fans_linked"} <= set(counts)
