"""The referral contract: 201 for a referral, 409 problem+json with a distinct type for each
refusal, ids checked in the caller's workspace."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.referral import service
from siyu.workspace.models import Workspace
from tests import factories
from tests.referral.helpers import make_fan


def test_referral_contract(api: TestClient, session: Session, workspace: Workspace) -> None:
    a, b, c = (make_fan(session, workspace.id).id for _ in range(3))
    session.commit()
    created = api.post("/api/v1/referrals", json={"inviter_id": a, "invitee_id": b})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["inviter_id"], body["invitee_id"], body["depth"]) == (a, b, 1)
    refusals = {
        "too deep": ({"inviter_id": b, "invitee_id": c}, service.TOO_DEEP),
        "cycle": ({"inviter_id": b, "invitee_id": a}, service.CYCLE),
        "twice": ({"inviter_id": c, "invitee_id": b}, service.ALREADY_INVITED),
    }
    for case, (payload, slug) in refusals.items():
        refused = api.post("/api/v1/referrals", json=payload)
        assert refused.status_code == 409, case
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == f"urn:siyu:problem:{slug}", case
    assert api.get(f"/api/v1/referrals/{body['id']}").json()["invitee_id"] == b
    listed = api.get("/api/v1/referrals", params={"inviter_id": a}).json()
    assert [item["invitee_id"] for item in listed["items"]] == [b]
    assert api.get("/api/v1/referral-rewards").json()["items"] == []


def test_ids_of_another_workspace_are_unknown(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    other = factories.make_workspace(session)
    mine = make_fan(session, workspace.id).id
    theirs = make_fan(session, other.id).id
    session.commit()
    refused = api.post("/api/v1/referrals", json={"inviter_id": mine, "invitee_id": theirs})
    assert refused.status_code == 422
    assert api.post("/api/v1/referrals", json={"inviter_id": mine}).status_code == 422
    assert api.get("/api/v1/referrals/999999").status_code == 404
