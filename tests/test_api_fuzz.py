"""Every operation of the OpenAPI spec, fed generated requests (schemathesis): no answer is a
5xx and every answer matches the documented schema.

A bounded number of examples per operation, derandomized so a run is repeatable; in-process
(ASGI) against the test store, with a valid token of a workspace seeded through the API with a
row of the main resources. A generated id in a path is swapped for the seeded row's id (huge
and negative ones are kept, to try the bounds), so bodies reach real rows: explicit nulls in a
PATCH, huge numbers, odd texts. Ids in bodies are sent as generated: an operator, fan or group id
the workspace does not have is a 422 from the one check of referenced ids, never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from siyu.app import create_app
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories

EXAMPLES_PER_OPERATION = 3
_SWAPPED = range(0, 2**62)  # generated ids in this range name the seeded row instead

# The spec is read when the module loads; requests reach the store only inside each test,
# through the connection the test fixtures bind.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


def _created(api: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/v1{path}", json=body)
    assert response.status_code in (200, 201), (path, response.text)
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def seeded(api: TestClient, session: Session, workspace: Workspace) -> dict[str, Any]:
    """Path parameter -> the id (or code) of a row of the token's workspace."""
    operator = factories.make_operator(session, workspace, Role.admin)
    session.commit()
    order = {
        "platform": "douyin", "order_no": "F1", "buyer_id": "dy_fuzz", "status": "paid",
        "paid_amount_fen": 990, "paid_at": "2026-01-01T12:00:00Z",
    }  # fmt: skip
    _created(api, "/orders:batch", {"orders": [order]})
    customer_id = api.get("/api/v1/customers").json()["items"][0]["id"]
    group = _created(api, "/groups", {"name": "粉丝群"})
    family = _created(api, "/group-families", {"name": "福利群", "slug": "fuli"})
    rule = _created(
        api,
        "/autoreply/rules",
        {"name": "发货", "match": "any", "keywords": ["发货"], "reply": "48小时内"},
    )
    segment = _created(api, "/segments", {"name": "全部", "filter": ""})
    item = _created(
        api,
        "/mall/items",
        {"name": "帆布袋", "shelf": "essentials", "points_price": 100, "stock": 5},
    )
    tier = _created(api, "/points/tiers", {"code": "gold", "name": "金卡", "rank": 1})
    earn = _created(api, "/points/earn-rules", {"name": "双倍", "multiplier_permille": 2000})
    live = _created(
        api,
        "/lives",
        {
            "title": "宠粉夜", "platform": "douyin",
            "starts_at": "2026-01-01T11:00:00Z", "ends_at": "2026-01-01T14:00:00Z",
        },
    )  # fmt: skip
    draw = _created(
        api, f"/lives/{live['id']}/draws", {"name": "锦鲤", "pool": "buyers", "winners": 1}
    )
    return {
        "customer_id": customer_id,
        "group_id": group["id"],
        "family_id": family["id"],
        "rule_id": rule["id"],
        "earn_rule_id": earn["id"],
        "segment_id": segment["id"],
        "item_id": item["id"],
        "code": tier["code"],
        "slug": "fuli",
        "operator_id": operator.id,
        "live_id": live["id"],
        "draw_id": draw["id"],
    }


def _swap_ids(case: Any, seeded: dict[str, Any]) -> None:
    for name, value in (case.path_parameters or {}).items():
        key = "earn_rule_id" if name == "rule_id" and "earn-rules" in case.path else name
        if key not in seeded:
            continue
        if isinstance(value, str) or (isinstance(value, int) and value in _SWAPPED):
            case.path_parameters[name] = seeded[key]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema(
    case: Any, api: TestClient, seeded: dict[str, Any]
) -> None:
    _swap_ids(case, seeded)
    case.call_and_validate(
        headers={"Authorization": api.headers["Authorization"]},
        checks=[not_a_server_error, response_schema_conformance],
    )
