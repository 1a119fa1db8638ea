"""``siyu live ...`` as an operator runs it: a real process on its own SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

MAKE_LIVE = """
from datetime import UTC, datetime, timedelta
from siyu.db import transaction
from siyu.live import service
from siyu.workspace.audit import Actor
from siyu.workspace.service import get_workspace_by_slug

with transaction() as session:
    ws = get_workspace_by_slug(session, "tangtang")
    start = datetime(2026, 12, 1, 12, tzinfo=UTC)
    draft = service.LiveDraft("周五宠粉夜", "douyin", start, start + timedelta(hours=3))
    print(service.create_live(session, ws.id, draft, Actor("system", label="test")).id)
"""


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_list_and_report(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(SIYU_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", SIYU_ENV="development")
    cli = ("-m", "siyu.cli")
    assert _run(env, *cli, "workspace", "create", "tangtang", "--name", "糖糖").returncode == 0
    made = _run(env, "-c", MAKE_LIVE)
    assert made.returncode == 0, made.stderr
    live_id = made.stdout.strip().splitlines()[-1]

    listed = _run(env, *cli, "live", "list", "--workspace", "tangtang", "--json")
    assert listed.returncode == 0, listed.stderr
    lives: list[dict[str, Any]] = json.loads(listed.stdout)["lives"]
    assert [(x["id"], x["phase"]) for x in lives] == [(int(live_id), "ended")]

    report = _run(env, *cli, "live", "report", live_id, "--workspace", "tangtang", "--json")
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert figures["reservations"] == 0 and figures["gmv_fen"] == 0 and figures["sharers"] == []

    missing = _run(env, *cli, "live", "report", "999", "--workspace", "tangtang")
    assert missing.returncode == 1 and "No such live" in missing.stderr
    assert "Traceback" not in missing.stderr
