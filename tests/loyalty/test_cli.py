"""``siyu points expire`` and ``siyu points check`` as a real process on a store of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(SIYU_DATABASE_URL=f"sqlite:///{db}", SIYU_ENV="development")
    return subprocess.run(
        [sys.executable, "-m", "siyu.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_expire_and_check(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert _run(db, "workspace", "create", "tangtang", "--name", "糖糖直播间").returncode == 0
    dry = _run(db, "points", "expire", "--workspace", "tangtang", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {
        "lots": 0,
        "points": 0,
        "customers": 0,
        "dry_run": True,
        "workspace": "tangtang",
    }
    checked = _run(db, "points", "check")
    assert checked.returncode == 0 and checked.stdout.startswith("ok")
    missing = _run(db, "points", "expire", "--workspace", "nope")
    assert missing.returncode == 1 and "Workspace not found" in missing.stderr
