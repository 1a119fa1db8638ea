"""The CLI as an operator runs it: a real process on its own SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def siyu(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(
        SIYU_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        SIYU_ENV="development",
        SIYU_DEMO_ORDERS="600",  # the demo's order files, kept small
    )

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "siyu.cli", *args],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def test_workspace_operator_and_token(siyu) -> None:  # type: ignore[no-untyped-def]
    created = siyu("workspace", "create", "tangtang", "--name", "糖糖直播间", "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["slug"] == "tangtang"

    added = siyu(
        "operator",
        "create",
        "--workspace",
        "tangtang",
        "--email",
        "Ops@Example.com",
        "--role",
        "admin",
        "--password-stdin",
        "--json",
        stdin="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) | {"id": 0} == {
        "id": 0,
        "email": "ops@example.com",
        "workspace": "tangtang",
        "role": "admin",
    }

    token = siyu("token", "create", "--workspace", "tangtang", "--json")
    assert token.returncode == 0, token.stderr
    lines = token.stdout.strip().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["token"].startswith("siyu_")

    assert json.loads(lines[0])["scopes"] == ["read", "write"]

    plain = siyu("token", "create", "--workspace", "tangtang", "--name", "erp")
    assert plain.stdout.strip().startswith("siyu_")

    scoped = siyu("token", "create", "--workspace", "tangtang", "--scopes", "read,pii", "--json")
    assert json.loads(scoped.stdout)["scopes"] == ["read", "pii"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("workspace", "create", "Bad Slug", "--name", "x"), None, "Invalid workspace slug"),
        (
            (
                "operator",
                "create",
                "--workspace",
                "missing",
                "--email",
                "a@example.com",
                "--role",
                "admin",
                "--password-stdin",
            ),
            "a-long-password\n",
            "Workspace not found",
        ),
        (
            (
                "operator",
                "create",
                "--workspace",
                "w",
                "--email",
                "a@example.com",
                "--role",
                "boss",
                "--password-stdin",
            ),
            "a-long-password\n",
            "unknown role",
        ),
        (("token", "create", "--workspace", "missing"), None, "Workspace not found"),
        (("token", "create", "--workspace", "w", "--scopes", "root"), None, "scopes among read"),
    ],
)
def test_bad_arguments_fail_with_one_clear_line(siyu, args, stdin, message) -> None:  # type: ignore[no-untyped-def]
    result = siyu(*args, stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_weak_password_is_refused(siyu) -> None:  # type: ignore[no-untyped-def]
    assert siyu("workspace", "create", "w-one", "--name", "w").returncode == 0
    result = siyu(
        "operator",
        "create",
        "--workspace",
        "w-one",
        "--email",
        "a@example.com",
        "--role",
        "operator",
        "--password-stdin",
        stdin="short\n",
    )
    assert result.returncode == 1 and "Password too short" in result.stderr


def test_db_upgrade_and_demo_seed_are_idempotent(siyu) -> None:  # type: ignore[no-untyped-def]
    assert siyu("db", "upgrade").returncode == 0
    first = siyu("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "owner@demo.siyu.local" in first.stdout and "siyu-demo-2026" in first.stdout
    assert "already seeded" in siyu("demo", "--no-serve").stdout
    assert "seeded, 4 operators" in siyu("demo", "--no-serve", "--reset").stdout


def test_worker_needs_a_broker(siyu) -> None:  # type: ignore[no-untyped-def]
    result = siyu("worker")
    assert result.returncode == 2 and "SIYU_BROKER_URL" in result.stderr
