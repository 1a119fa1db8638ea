"""``siyu import orders`` as an operator runs it: a real process on its own SQLite file."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from siyu.orders.service import SUMMARY_KEYS

from . import export_files as ef

Siyu = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def siyu(tmp_path: Path) -> Siyu:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(SIYU_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", SIYU_ENV="development")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "siyu.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert run("workspace", "create", "tangtang", "--name", "糖糖直播间").returncode == 0
    return run


def generic_file(path: Path, *rows: dict[str, str]) -> Path:
    return ef.write_csv(path, [ef.GENERIC, *(ef.row(ef.GENERIC, r) for r in rows)])


def summaries(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.strip().splitlines()]


def test_json_prints_one_summary_per_file_and_writes_the_reject_report(
    siyu: Siyu, tmp_path: Path
) -> None:
    good = generic_file(
        tmp_path / "good.csv",
        {"order_no": "G1", "buyer_id": "b1", "paid_at": "2024-06-18 20:00", "paid_amount": "9.90"},
        {"order_no": "G2", "buyer_id": "b2", "paid_amount": "abc"},
    )
    jsonl = ef.write_jsonl(
        tmp_path / "more.jsonl",
        [{"order_no": "J1", "buyer_id": "b1", "paid_at": None, "paid_amount": "5"}],
    )

    result = siyu("import", "orders", str(good), str(jsonl), "--workspace", "tangtang", "--json")
    again = siyu("import", "orders", str(good), "--workspace", "tangtang", "--json")

    assert result.returncode == 0, result.stderr
    first, second = summaries(result.stdout)
    assert list(first) == list(SUMMARY_KEYS)
    report = tmp_path / "var" / "reports" / "good.rejects.csv"
    assert first == {
        "file": str(good),
        "platform": "generic",
        "rows_read": 2,
        "rows_rejected": 1,
        "orders_created": 1,
        "orders_updated": 0,
        "orders_unchanged": 0,
        "customers_created": 1,
        "paid_amount_cents": 990,
        "refund_amount_cents": 0,
        "report": str(Path("var/reports/good.rejects.csv")),
    }
    assert report.read_text(encoding="utf-8-sig").splitlines()[1].startswith("3,paid_amount,abc,")
    assert (second["orders_created"], second["customers_created"], second["report"]) == (
        1,
        0,
        None,
    )
    (rerun,) = summaries(again.stdout)
    assert (rerun["orders_unchanged"], rerun["orders_created"]) == (1, 0)


def test_human_output_and_dry_run(siyu: Siyu, tmp_path: Path) -> None:
    path = generic_file(
        tmp_path / "o.csv",
        {"order_no": "G1", "buyer_id": "b1", "paid_at": "2024-06-18 20:00", "paid_amount": "9.90"},
    )

    dry = siyu("import", "orders", str(path), "--workspace", "tangtang", "--dry-run")
    real = siyu("import", "orders", str(path), "--workspace", "tangtang", "--json")

    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "1 orders created" in dry.stdout
    assert "¥9.90" in dry.stdout
    assert summaries(real.stdout)[0]["orders_created"] == 1  # the dry run wrote nothing


def test_a_fatal_file_fails_with_its_reason_and_the_others_still_import(
    siyu: Siyu, tmp_path: Path
) -> None:
    header = [h for h in ef.TAOBAO_CLASSIC if h.strip() != "订单付款时间"]
    fatal = ef.write_csv(
        tmp_path / "ExportOrderList.csv",
        [header, ef.row(header, {"订单编号": "1", "买家实际支付金额": "1"})],
        encoding="gb18030",
    )
    good = generic_file(tmp_path / "g.csv", {"order_no": "G1", "buyer_id": "b", "paid_amount": "1"})

    result = siyu("import", "orders", str(fatal), str(good), "--workspace", "tangtang", "--json")

    assert result.returncode == 1
    assert "订单付款时间" in result.stderr and "taobao" in result.stderr
    assert "Traceback" not in result.stderr
    failed, imported = summaries(result.stdout)
    assert (failed["platform"], failed["orders_created"]) == ("taobao", 0)
    assert imported["orders_created"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "orders", "missing.csv", "--workspace", "tangtang"), "missing.csv"),
        (("import", "orders", "o.csv", "--workspace", "nobody"), "Workspace not found"),
        (("import", "orders", "o.csv", "--workspace", "tangtang", "--platform", "jd"), "jd"),
    ],
)
def test_bad_arguments_fail_with_one_clear_line(
    siyu: Siyu, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    generic_file(tmp_path / "o.csv", {"order_no": "G1", "buyer_id": "b", "paid_amount": "1"})

    result = siyu(*args)

    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_intimacy_levels_import_from_a_fan_club_list(siyu: Siyu, tmp_path: Path) -> None:
    orders = generic_file(
        tmp_path / "orders.csv",
        {"order_no": "G1", "buyer_id": "b1", "paid_at": "2024-06-18 20:00", "paid_amount": "9.9"},
        {"order_no": "G2", "buyer_id": "b2", "paid_at": "2024-06-18 20:00", "paid_amount": "5"},
    )
    assert siyu("import", "orders", str(orders), "--workspace", "tangtang").returncode == 0
    fan_club = ef.write_csv(
        tmp_path / "粉丝团.csv",
        [
            ["平台", "用户ID", "粉丝团等级 "],
            ["generic", "b1", "5"],
            ["generic", "b2", "Lv3"],
            ["抖音", "dy_nobody", "２"],  # a Chinese platform name, a full-width digit
            ["generic", "b9", "2"],  # nobody we know: counted, not an error
            ["generic", "b1", "高"],
            ["generic", "", "4"],
            ["weibo", "b2", "1"],
        ],
        encoding="gb18030",
    )

    result = siyu("import", "intimacy", str(fan_club), "--workspace", "tangtang", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "file": str(fan_club),
        "rows_read": 7,
        "rows_rejected": 3,
        "updated": 2,
        "unknown_fans": 2,
    }
    assert "row 6:" in result.stderr and "row 7:" in result.stderr and "row 8:" in result.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        levels = db.execute(
            "SELECT platform, level FROM customer_intimacy ORDER BY level"
        ).fetchall()
    assert levels == [("generic", 3), ("generic", 5)]


def test_an_intimacy_file_without_the_columns_it_needs_is_refused(
    siyu: Siyu, tmp_path: Path
) -> None:
    no_platform = ef.write_csv(tmp_path / "a.csv", [["用户ID", "亲密度"], ["b1", "3"]])
    refused = siyu("import", "intimacy", str(no_platform), "--workspace", "tangtang")
    assert refused.returncode == 2 and "--platform" in refused.stderr
    no_level = ef.write_csv(tmp_path / "b.csv", [["用户ID"], ["b1"]])
    refused = siyu(
        "import", "intimacy", str(no_level), "--workspace", "tangtang", "--platform", "douyin"
    )
    assert refused.returncode == 2 and "level" in refused.stderr
    wrong = siyu(
        "import", "intimacy", str(no_platform), "--workspace", "tangtang", "--platform", "weibo"
    )
    assert wrong.returncode == 2 and "weibo" in wrong.stderr


def test_the_reject_report_file_neutralises_formulas(siyu: Siyu, tmp_path: Path) -> None:
    path = generic_file(
        tmp_path / "evil.csv",
        {"order_no": "E1", "buyer_id": "b1", "paid_amount": '=HYPERLINK("http://x","y")'},
        {"order_no": "E2", "buyer_id": "b2", "paid_amount": "-2+3"},
    )

    result = siyu("import", "orders", str(path), "--workspace", "tangtang", "--json")

    assert result.returncode == 0, result.stderr
    report = tmp_path / "var" / "reports" / "evil.rejects.csv"
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ['\'=HYPERLINK("http://x","y")', "'-2+3"]


def test_a_csv_with_a_ten_megabyte_cell_is_refused_with_one_clear_line(
    siyu: Siyu, tmp_path: Path
) -> None:
    rows = [{"order_no": f"G{n}", "buyer_id": "b", "paid_amount": "1"} for n in range(30)]
    rows[25]["items"] = "x" * (10 * 2**20)
    path = generic_file(tmp_path / "huge.csv", *rows)

    result = siyu("import", "orders", str(path), "--workspace", "tangtang", "--json")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Line 27 has a cell longer than 128 KiB" in result.stderr
    (summary,) = summaries(result.stdout)
    assert summary["orders_created"] == 0  # the rows before it are not kept either
