"""Bad input the schema fuzz found, kept as cases: numbers past BIGINT, explicit nulls in
PATCH bodies, control characters and odd segment names in xlsx exports. Each is a clear 4xx
or a working answer, never a 500."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.identities import FanKey
from siyu.workspace.models import Workspace
from tests import factories

HUGE = 2**63


def _post(api: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/v1{path}", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/api/v1/customers/{HUGE}", None),
        ("GET", f"/api/v1/groups/{-HUGE - 1}", None),
        ("GET", "/api/v1/customers?limit=10&cursor=WzkyMjMzNzIwMzY4NTQ3NzU4MDhd", None),
        ("POST", "/api/v1/coupon-campaigns", {"template_id": HUGE, "channel": "grab"}),
        ("POST", "/api/v1/groups", {"name": "群", "owner_operator_id": HUGE}),
        ("POST", "/api/v1/customers/1/merge", {"source_id": HUGE}),
        # Amounts are INTEGER columns: past 2^31 - 1 is refused before PostgreSQL would fail.
        (
            "POST",
            "/api/v1/mall/items",
            {"name": "袋", "shelf": "essentials", "points_price": 1, "stock": 1, "cost_fen": 2**31},
        ),
        (
            "POST",
            "/api/v1/orders:batch",
            {
                "orders": [
                    {
                        "platform": "douyin",
                        "order_no": "A",
                        "status": "paid",
                        "paid_amount_fen": 2**31,
                    }
                ]
            },
        ),
        # PostgreSQL text cannot hold NUL.
        (
            "POST",
            "/api/v1/orders:batch",
            {
                "orders": [
                    {
                        "platform": "douyin",
                        "order_no": "A\x00",
                        "status": "paid",
                        "paid_amount_fen": 1,
                    }
                ]
            },
        ),
        ("GET", "/api/v1/customers?q=a%00b", None),
    ],
)
def test_numbers_past_bigint_are_refused(
    api: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = api.request(method, path, json=body)

    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_console_page_with_a_huge_id_is_a_page(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    operator = factories.make_operator(session, workspace)
    session.commit()
    factories.login(client, operator.email)

    response = client.get(f"/orders/imports/{HUGE}", headers={"accept": "text/html"})

    assert response.status_code == 404  # an id out of range names no page
    assert "text/html" in response.headers["content-type"]


def test_null_in_a_patch_clears_only_what_can_be_empty(api: TestClient) -> None:
    group = _post(api, "/groups", {"name": "粉丝群", "region": "上海"})
    family = _post(api, "/group-families", {"name": "福利群", "slug": "fuli", "max_groups": 3})
    rule = _post(
        api, "/autoreply/rules", {"name": "r", "match": "any", "keywords": ["k"], "reply": "x"}
    )
    item = _post(
        api, "/mall/items", {"name": "袋", "shelf": "essentials", "points_price": 1, "stock": 1}
    )
    tier = _post(
        api, "/points/tiers", {"code": "gold", "name": "金卡", "rank": 1, "benefits": "包邮"}
    )
    earn = _post(
        api,
        "/points/earn-rules",
        {"name": "双倍", "multiplier_permille": 2000, "platform": "douyin"},
    )
    refused = [
        (f"/groups/{group['id']}", {"capacity": None}),
        (f"/groups/{group['id']}", {"operator_ids": None}),
        (f"/group-families/{family['id']}", {"regions": None}),
        (f"/group-families/{family['id']}", {"name_base": None}),
        (f"/autoreply/rules/{rule['id']}", {"cooldown_seconds": None}),
        (f"/mall/items/{item['id']}", {"points_price": None}),
        ("/points/tiers/gold", {"rank": None}),
        (f"/points/earn-rules/{earn['id']}", {"multiplier_permille": None}),
    ]
    for path, body in refused:
        response = api.patch(f"/api/v1{path}", json=body)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] == next(iter(body))

    cleared = {
        f"/groups/{group['id']}": ("region", "上海"),
        f"/group-families/{family['id']}": ("max_groups", 3),
        "/points/tiers/gold": ("benefits", "包邮"),
        f"/points/earn-rules/{earn['id']}": ("platform", "douyin"),
    }
    for path, (field, before) in cleared.items():
        response = api.patch(f"/api/v1{path}", json={field: None})
        assert response.status_code == 200, (path, response.text)
        assert (before, response.json()[field]) == (before, None)
    assert (group["region"], family["max_groups"], tier["benefits"]) == ("上海", 3, "包邮")


def test_a_family_patch_answers_the_family(api: TestClient) -> None:
    family = _post(api, "/group-families", {"name": "福利群", "slug": "fuli"})

    response = api.patch(
        f"/api/v1/group-families/{family['id']}",
        json={"name": "新福利群", "regions": ["上海"], "welcome_text": None, "is_active": False},
    )

    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["regions"]) == ("新福利群", ["上海"])


def test_a_fan_with_a_control_character_exports_as_xlsx(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    service.resolve_customers(
        session, workspace.id, [FanKey("douyin", "dy\x01\x1b[31m", None, nickname="小\x07鹿")]
    )
    session.commit()
    segment = _post(
        api, "/segments", {"name": "VIP [2024]? a*b/c\\d:e 高价值粉丝回购名单", "filter": ""}
    )

    response = api.get(f"/api/v1/segments/{segment['id']}/export", params={"format": "xlsx"})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["VIP _2024__ a_b_c_d_e 高价值粉丝回购名单"]
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][4] == "抖音:dy[31m"  # platforms by name, in the workspace's language
