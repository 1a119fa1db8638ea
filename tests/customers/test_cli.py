"""``siyu customer ...`` as an operator runs it: a real process on its own SQLite file."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from siyu.config import get_settings
from siyu.customers.fan_links import verify_fan_link

Run = Callable[..., subprocess.CompletedProcess[str]]

SEED = """
from siyu.db import transaction
from siyu.customers.identities import FanKey
from siyu.customers.service import resolve_customers
from siyu.workspace.service import get_workspace_by_slug

with transaction() as session:
    ws = get_workspace_by_slug(session, "tangtang")
    key = FanKey("taobao", "小鹿爱吃糖{n}", "1380000111{n}", nickname="小鹿爱吃糖",
                 real_name="林小鹿", address="上海市徐汇区漕溪北路 88 号", region="上海")
    print(resolve_customers(session, ws.id, [key]).customer_ids[0])
"""


_fans = itertools.count()


@pytest.fixture(scope="module")
def siyu(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One store and workspace for the module (each process start costs seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(
        SIYU_DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}",
        SIYU_ENV="development",
        # The same secret as this test process, so links it prints verify here.
        SIYU_SECRET_KEY=get_settings().secret_key,
        SIYU_PUBLIC_BASE_URL="https://fans.example.com",
    )

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = list(args) if args[0] == "-c" else ["-m", "siyu.cli", *args]
        return subprocess.run(
            [sys.executable, *argv],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    created = run("workspace", "create", "tangtang", "--name", "糖糖直播间")
    assert created.returncode == 0, created.stderr
    return run


@pytest.fixture
def fan(siyu: Run) -> str:
    """A new fan (a new phone and buyer each time) in the module's workspace."""
    seeded = siyu("-c", SEED.replace("{n}", str(next(_fans))))
    assert seeded.returncode == 0, seeded.stderr
    return seeded.stdout.strip()


def test_link_prints_a_url_that_opens_as_that_fan(siyu: Run, fan: str) -> None:
    plain = siyu("customer", "link", fan, "--workspace", "tangtang")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith("https://fans.example.com/h5/open?t=")

    as_json = siyu(
        "customer", "link", fan, "--workspace", "tangtang", "--ttl-days", "2",
        "--base-url", "http://192.168.1.20:8000/", "--json",
    )  # fmt: skip
    payload = json.loads(as_json.stdout)
    assert payload["url"].startswith("http://192.168.1.20:8000/h5/open?t=")
    claim = verify_fan_link(payload["url"].split("t=", 1)[1])
    assert claim.customer_id == int(fan)
    assert claim.expires_at.isoformat() == payload["expires_at"]
    assert 47 * 3600 < claim.seconds_left <= 48 * 3600


def test_show_is_masked(siyu: Run, fan: str) -> None:
    shown = siyu("customer", "show", fan, "--workspace", "tangtang", "--json")
    assert shown.returncode == 0, shown.stderr
    profile = json.loads(shown.stdout)
    assert profile["phone"].startswith("138****111") and profile["real_name"] == "林**"
    assert profile["identities"][0].startswith("taobao:小鹿爱吃糖")
    text = siyu("customer", "show", fan, "--workspace", "tangtang").stdout
    assert "小鹿爱吃糖" in text and profile["phone"] in text and "1380000111" not in text


def test_export_writes_utf8_json_in_clear(siyu: Run, fan: str, tmp_path: Path) -> None:
    out = tmp_path / "fan.json"
    exported = siyu("customer", "export", fan, "--workspace", "tangtang", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    text = out.read_text(encoding="utf-8")
    assert "林小鹿" in text  # ensure_ascii=False: readable Chinese
    data = json.loads(text)
    assert data["customer"]["phone"].startswith("1380000111")
    to_stdout = siyu("customer", "export", fan, "--workspace", "tangtang")
    assert json.loads(to_stdout.stdout)["customer"]["id"] == int(fan)


def test_erase_asks_first_then_says_what_went(siyu: Run, fan: str) -> None:
    declined = siyu("customer", "erase", fan, "--workspace", "tangtang", stdin="n\n")
    assert declined.returncode != 0
    assert json.loads(siyu("customer", "show", fan, "--workspace", "tangtang", "--json").stdout)[
        "phone"
    ]

    erased = siyu("customer", "erase", fan, "--workspace", "tangtang", stdin="y\n")
    assert erased.returncode == 0, erased.stderr
    assert f"erased fan {fan}" in erased.stdout
    assert "phone" in erased.stdout and "1 identities" in erased.stdout

    again = siyu("customer", "erase", fan, "--workspace", "tangtang", "--yes", "--json")
    assert json.loads(again.stdout)["already_erased"] is True
    shown = json.loads(siyu("customer", "show", fan, "--workspace", "tangtang", "--json").stdout)
    assert shown["phone"] is None and shown["erased"] is True
    link = siyu("customer", "link", fan, "--workspace", "tangtang")
    assert link.returncode == 1 and "erased" in link.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("customer", "show", "abc", "--workspace", "tangtang"), "invalid fan id"),
        (("customer", "show", "999", "--workspace", "tangtang"), "Fan not found"),
        (("customer", "link", "999", "--workspace", "tangtang"), "Fan not found"),
        (("customer", "erase", "999", "--workspace", "tangtang", "--yes"), "Fan not found"),
        (("customer", "export", "1", "--workspace", "nowhere"), "error:"),
    ],
)
def test_bad_ids_fail_with_one_line(siyu: Run, args: tuple[str, ...], message: str) -> None:
    result = siyu(*args)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
