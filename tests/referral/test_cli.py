"""``siyu referral ...`` and ``siyu camps ...`` as a real process on a store of their own."""

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


def test_settle_add_and_board(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert _run(db, "workspace", "create", "tangtang", "--name", "糖糖直播间").returncode == 0
    settled = _run(db, "referral", "settle", "--workspace", "tangtang", "--json")
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout) == {
        "paid": 0,
        "referrals": 0,
        "second_level": 0,
        "rewards": 0,
        "points": 0,
    }
    unknown = _run(db, "referral", "add", "--workspace", "tangtang", "1", "2")
    assert unknown.returncode == 1 and "error" in unknown.stderr
    missing = _run(db, "camps", "board", "--workspace", "tangtang", "7")
    assert missing.returncode == 1 and "No such check-in camp" in missing.stderr
