"""The orders console: upload exports (multipart, CSRF), see what each import did, download
the reject report, browse orders. Chinese by default."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.orders.models import ImportRun, Order
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories

from . import export_files as ef


def generic_csv(tmp_path: Path) -> bytes:
    path = ef.write_csv(
        tmp_path / "orders.csv",
        [
            ef.GENERIC,
            ef.row(ef.GENERIC, {"order_no": "G1", "buyer_id": "b1", "paid_amount": "9.90",
                                "paid_at": "2024-06-18 20:00", "status": "completed"}),
            ef.row(ef.GENERIC, {"order_no": "G2", "buyer_id": "b2", "paid_amount": "abc"}),
        ],
    )  # fmt: skip
    return path.read_bytes()


def test_upload_shows_the_run_with_its_rejects_and_the_report_downloads(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    csrf = factories.sign_in(client, session, workspace)

    response = client.post(
        "/orders/imports",
        data={"csrf_token": csrf, "platform": "auto"},
        files={"files": ("我的订单.csv", generic_csv(tmp_path), "text/csv")},
        follow_redirects=False,
    )

    assert response.status_code == 303, response.text
    run_url = response.headers["location"]
    page = client.get(run_url)
    assert page.status_code == 200
    assert "我的订单.csv" in page.text and "已导入" in page.text
    assert "被拒绝的行" in page.text and "abc" in page.text and "金额格式不正确。" in page.text
    report = client.get(f"{run_url}/rejects.csv")
    assert report.status_code == 200
    assert report.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["行号", "列", "值", "原因"]  # the workspace's language, Chinese by default
    assert rows[1] == ["3", "paid_amount", "abc", "金额格式不正确。"]
    orders = client.get("/orders")
    assert (
        'class="fan-name" translate="no" href="/customers/' in orders.text
    )  # the buyer by name, linked
    assert re.search(r"#\d+</a>", orders.text) is None
    assert "G1" in orders.text and "¥9.90" in orders.text and "已完成" in orders.text
    assert "G1" in client.get("/orders", params={"q": "G"}).text
    assert "<code>G1</code>" not in client.get("/orders", params={"status": "closed"}).text
    assert "我的订单.csv" in client.get("/orders/imports").text


def test_a_fatal_upload_shows_why_and_imports_nothing(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)

    response = client.post(
        "/orders/imports",
        data={"csrf_token": csrf},
        files={"files": ("x.csv", "名字,年龄\n张三,3\n".encode(), "text/csv")},
    )

    assert response.status_code == 200
    assert "整个文件被拒绝" in response.text and "无法识别的导出格式" in response.text
    assert "Unknown export format" not in response.text
    assert session.scalars(select(Order).where(Order.workspace_id == workspace.id)).all() == []
    run = session.scalars(select(ImportRun).where(ImportRun.workspace_id == workspace.id)).one()
    assert run.status == "failed"


def test_upload_needs_the_csrf_token_and_an_operator(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.analyst)
    files = {"files": ("orders.csv", generic_csv(tmp_path), "text/csv")}

    forged = client.post("/orders/imports", data={"csrf_token": "forged"}, files=files)
    analyst = client.post("/orders/imports", data={"csrf_token": csrf}, files=files)
    page = client.get("/orders/imports")

    assert forged.status_code == 403
    assert analyst.status_code == 403
    assert page.status_code == 200 and "导入记录" in page.text
    assert 'type="file"' not in page.text  # analysts see the history, not the upload form
    assert (
        session.scalars(select(ImportRun).where(ImportRun.workspace_id == workspace.id)).all() == []
    )


def test_another_workspaces_run_is_not_found(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    theirs = factories.make_workspace(session)
    csrf = factories.sign_in(client, session, theirs)
    client.post(
        "/orders/imports",
        data={"csrf_token": csrf},
        files={"files": ("orders.csv", generic_csv(tmp_path), "text/csv")},
    )
    run = session.scalars(select(ImportRun).where(ImportRun.workspace_id == theirs.id)).one()
    client.cookies.clear()
    factories.sign_in(client, session, workspace)

    assert client.get(f"/orders/imports/{run.id}").status_code == 404
    assert client.get(f"/orders/imports/{run.id}/rejects.csv").status_code == 404
    assert "<code>G1</code>" not in client.get("/orders").text


def test_the_reject_report_neutralises_formulas_like_every_export(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    path = ef.write_csv(
        tmp_path / "evil.csv",
        [
            ef.GENERIC,
            ef.row(ef.GENERIC, {"order_no": "E1", "buyer_id": "b1",
                                "paid_amount": '=HYPERLINK("http://evil.example","点我")'}),
            ef.row(ef.GENERIC, {"order_no": "E2", "buyer_id": "b2", "paid_amount": "@SUM(A1)"}),
            ef.row(ef.GENERIC, {"order_no": "E3", "buyer_id": "b3", "paid_amount": "+1+cmd"}),
        ],
    )  # fmt: skip
    response = client.post(
        "/orders/imports",
        data={"csrf_token": csrf, "platform": "auto"},
        files={"files": ("evil.csv", path.read_bytes(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text

    report = client.get(f"{response.headers['location']}/rejects.csv")

    values = [row[2] for row in csv.reader(io.StringIO(report.content.decode("utf-8-sig")))][1:]
    assert values == ['\'=HYPERLINK("http://evil.example","点我")', "'@SUM(A1)", "'+1+cmd"]


def test_an_upload_with_a_ten_megabyte_cell_is_refused_on_a_page(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    huge = ef.row(ef.GENERIC, {"order_no": "H1", "buyer_id": "b1", "items": "x" * (10 * 2**20)})
    path = ef.write_csv(tmp_path / "huge.csv", [ef.GENERIC, huge])

    response = client.post(
        "/orders/imports",
        data={"csrf_token": csrf, "platform": "auto"},
        files={"files": ("huge.csv", path.read_bytes(), "text/csv")},
    )

    assert response.status_code == 200
    assert "Line 2 has a cell longer than 128 KiB" in response.text
    assert session.scalar(select(Order).where(Order.workspace_id == workspace.id)) is None
