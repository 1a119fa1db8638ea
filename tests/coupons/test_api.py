"""The coupons API contract: templates, campaigns, claims and their distinct refusals."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from siyu.coupons import stream
from siyu.customers.models import CustomerIdentity
from siyu.db import database
from siyu.kit.clock import utcnow
from siyu.kit.redis import get_redis
from siyu.workspace.models import Workspace
from tests import factories
from tests.coupons import make_fans

PROBLEM = "urn:siyu:problem:"


def _template(api: TestClient) -> int:
    response = api.post(
        "/api/v1/coupon-templates",
        json={
            "name": "满99减3",
            "kind": "threshold",
            "threshold_cents": 9900,
            "discount_cents": 300,
            "valid_days": 7,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["label"] == "满99减3"
    return int(response.json()["id"])


def _campaign(api: TestClient, **fields: object) -> dict[str, object]:
    body = {
        "template_id": _template(api),
        "channel": "grab",
        "quantity": 2,
        "per_customer_limit": 1,
    } | fields
    response = api.post("/api/v1/coupon-campaigns", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _drain() -> None:
    client = get_redis()
    if client is not None:
        stream.drain(database.session, client)


def test_claims_until_sold_out_with_distinct_answers(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = make_fans(session, workspace.id, 3)
    session.commit()
    campaign = _campaign(api)
    url = f"/api/v1/coupon-campaigns/{campaign['id']}/claims"

    first = api.post(url, json={"customer_id": fans[0]})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["claim_id"] == f"{campaign['id']}-1" and len(body["code"]) == 10

    again = api.post(url, json={"customer_id": fans[0]})
    assert again.status_code == 409
    assert again.json()["type"] == PROBLEM + "coupon-already-claimed"

    assert api.post(url, json={"customer_id": fans[1]}).status_code == 201
    gone = api.post(url, json={"customer_id": fans[2]})
    assert gone.status_code == 409
    assert gone.json()["type"] == PROBLEM + "coupon-sold-out"

    _drain()
    detail = api.get(f"/api/v1/coupon-campaigns/{campaign['id']}").json()
    assert (detail["claimed"], detail["remaining"], detail["status"]) == (2, 0, "sold_out")
    claims = api.get(f"/api/v1/coupon-campaigns/{campaign['id']}/claims").json()["items"]
    assert sorted(c["customer_id"] for c in claims) == sorted(fans[:2])


def test_not_started_and_ended_are_refused(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    session.commit()
    later = _campaign(api, starts_at=(utcnow() + timedelta(hours=1)).isoformat())
    early = api.post(f"/api/v1/coupon-campaigns/{later['id']}/claims", json={"customer_id": fan})
    assert early.status_code == 403
    assert early.json()["type"] == PROBLEM + "coupon-not-started"

    over = _campaign(api)
    assert api.post(f"/api/v1/coupon-campaigns/{over['id']}/end").status_code == 200
    late = api.post(f"/api/v1/coupon-campaigns/{over['id']}/claims", json={"customer_id": fan})
    assert late.status_code == 403
    assert late.json()["type"] == PROBLEM + "coupon-ended"


def test_manual_campaigns_are_issued_by_operators_not_claimed(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = make_fans(session, workspace.id, 3)
    session.commit()
    campaign = _campaign(api, channel="manual")
    refused = api.post(
        f"/api/v1/coupon-campaigns/{campaign['id']}/claims", json={"customer_id": fans[0]}
    )
    assert refused.json()["type"] == PROBLEM + "coupon-channel-closed"
    issued = api.post(
        f"/api/v1/coupon-campaigns/{campaign['id']}/issue", json={"customer_ids": fans}
    )
    assert issued.status_code == 200, issued.text
    assert len(issued.json()["issued"]) == 2
    assert issued.json()["refused"] == {"coupon-sold-out": 1}


def test_validation_and_other_workspaces(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    bad = api.post(
        "/api/v1/coupon-templates",
        json={
            "name": "x",
            "kind": "threshold",
            "threshold_cents": 100,
            "discount_cents": 300,
            "valid_days": 7,
        },
    )
    assert bad.status_code == 422
    assert bad.json()["type"] == PROBLEM + "coupon-invalid"
    campaign = _campaign(api)
    other = factories.make_workspace(session)
    stranger = make_fans(session, other.id, 1, prefix="other")[0]
    session.commit()
    response = api.post(
        f"/api/v1/coupon-campaigns/{campaign['id']}/claims", json={"customer_id": stranger}
    )
    assert response.status_code == 404


def test_code_pool_is_the_stock(api: TestClient, session: Session, workspace: Workspace) -> None:
    fans = make_fans(session, workspace.id, 3)
    session.commit()
    starts = (utcnow() + timedelta(seconds=2)).isoformat()
    campaign = _campaign(api, code_source="pool", starts_at=starts)
    assert campaign["quantity"] == 0
    imported = api.post(
        f"/api/v1/coupon-campaigns/{campaign['id']}/codes",
        json={"codes": ["TB-AAA,https://s.taobao.com/c/aaa", "TB-BBB", "TB-BBB", "", "x,ftp://no"]},
    )
    assert imported.status_code == 200, imported.text
    assert (imported.json()["added"], imported.json()["duplicates"]) == (2, 1)
    assert imported.json()["quantity"] == 2
    assert len(imported.json()["rejected"]) == 1
    time.sleep(max(0.0, (datetime.fromisoformat(starts) - utcnow()).total_seconds()) + 0.1)
    url = f"/api/v1/coupon-campaigns/{campaign['id']}/claims"
    codes = [api.post(url, json={"customer_id": fan}).json().get("code") for fan in fans[:2]]
    assert codes[:2] == ["TB-AAA", "TB-BBB"]
    assert api.post(url, json={"customer_id": fans[2]}).status_code == 409
    locked = api.post(f"/api/v1/coupon-campaigns/{campaign['id']}/codes", json={"codes": ["Z"]})
    assert locked.json()["type"] == PROBLEM + "coupon-pool-locked"


def test_a_segment_audience_refuses_fans_outside_it(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    from siyu.segments.service import create_segment

    fan = make_fans(session, workspace.id, 1)[0]  # no orders: outside "orders >= 2"
    segment = create_segment(
        session, workspace.id, name="复购粉", filter_text="orders >= 2", actor=factories.ACTOR
    )
    session.commit()
    campaign = _campaign(api, segment_id=segment.id)
    refused = api.post(
        f"/api/v1/coupon-campaigns/{campaign['id']}/claims", json={"customer_id": fan}
    )
    assert refused.status_code == 403
    assert refused.json()["type"] == PROBLEM + "coupon-not-in-audience"


def test_manual_issue_to_a_segment_reaches_exactly_its_members(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    from siyu.segments.service import create_segment

    douyin = make_fans(session, workspace.id, 3, prefix="dy")
    outsider = make_fans(session, workspace.id, 1, prefix="other")[0]
    session.execute(
        update(CustomerIdentity)
        .where(CustomerIdentity.customer_id == outsider)
        .values(platform="kuaishou")
    )
    segment = create_segment(
        session,
        workspace.id,
        name="抖音粉",
        filter_text='platform = "douyin"',
        actor=factories.ACTOR,
    )
    session.commit()
    campaign = _campaign(api, channel="manual", quantity=10)
    issued = api.post(
        f"/api/v1/coupon-campaigns/{campaign['id']}/issue", json={"segment_id": segment.id}
    )
    assert issued.status_code == 200, issued.text
    assert sorted(c["customer_id"] for c in issued.json()["issued"]) == sorted(douyin)
    unknown = api.post(
        f"/api/v1/coupon-campaigns/{campaign['id']}/issue", json={"segment_id": segment.id + 99}
    )
    assert unknown.status_code == 422
