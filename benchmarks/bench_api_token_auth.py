"""Every API call pays for token authentication: digest, lookup, workspace scope, in one
request transaction.

Subject: authenticated ``GET /api/v1/workspace`` on a real ``siyu serve`` (uvicorn, SQLite),
over loopback HTTP with a keep-alive client. Baselines in the same run: the same server's
``/healthz`` (the HTTP and framework floor) and a bare ``sqlite3`` lookup of the same token digest
(the engine floor).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys

import httpx

from benchmarks.runner import Result, measure
from benchmarks.server import running_server, scratch_env

REQUESTS = 3000


def _token(env: dict[str, str]) -> str:
    def siyu(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "siyu.cli", *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    siyu("workspace", "create", "bench-ws", "--name", "bench")
    return str(json.loads(siyu("token", "create", "--workspace", "bench-ws", "--json"))["token"])


def run() -> Result:
    env, tmp = scratch_env(os.environ.get("SIYU_BENCH_DATABASE_URL"))
    secret = _token(env)
    with running_server(env) as base, httpx.Client(base_url=base) as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/workspace", headers=headers).status_code == 200

        def authenticated() -> None:
            for _ in range(REQUESTS):
                client.get("/api/v1/workspace", headers=headers)

        def health() -> None:
            for _ in range(REQUESTS):
                client.get("/healthz")

        subject = measure("authenticated GET /api/v1/workspace", REQUESTS, authenticated)
        floor = measure(
            "GET /healthz on the same server (HTTP + framework floor)", REQUESTS, health
        )

    result = Result("api_token_auth", subject)
    result.compare(floor, aim=">= 0.5: authentication and the store at most double a request")
    if env["SIYU_DATABASE_URL"].startswith("sqlite"):
        connection = sqlite3.connect(tmp / "bench.db")

        def bare_lookup() -> None:
            for _ in range(REQUESTS):
                digest = hashlib.sha256(secret.encode()).hexdigest()
                connection.execute(
                    "SELECT t.id, w.id FROM api_tokens t JOIN workspaces w ON w.id = t.workspace_id"
                    " WHERE t.token_digest = ? AND t.revoked_at IS NULL",
                    (digest,),
                ).fetchone()

        result.compare(
            measure("bare sqlite3 token lookup (engine floor)", REQUESTS, bare_lookup),
            aim="informational: the lookup itself is not where the time goes",
        )
    result.details = {
        "requests": REQUESTS,
        "store": env["SIYU_DATABASE_URL"].split(":")[0],
        "transport": "loopback HTTP, one keep-alive connection, uvicorn 1 worker",
    }
    return result
