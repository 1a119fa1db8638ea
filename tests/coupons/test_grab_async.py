"""The grab on the event loop (server mode): exact under a crowd of concurrent attempts on one
loop, the same answers as the synchronous engine, and the API token checked through a cache
that a revocation clears."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.coupons import grab, grab_async, stream
from siyu.coupons.models import CouponCampaign, CouponClaim
from siyu.db import database
from siyu.kit.clock import utcnow
from siyu.kit.crypto import token_digest
from siyu.kit.errors import Problem
from siyu.kit.redis import get_redis
from siyu.workspace import service as workspaces
from siyu.workspace.models import Workspace
from siyu.workspace.token_cache import TOKEN_CACHE_SECONDS
from tests import factories
from tests.concurrency import run_loop
from tests.conftest import TEST_REDIS_URL
from tests.coupons import make_campaign, make_fans
from tests.factories import ACTOR

needs_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="SIYU_TEST_REDIS_URL is not set")

PROBLEM = "urn:siyu:problem:"


def _drain() -> None:
    client = get_redis()
    if client is not None:
        stream.drain(database.session, client)


async def _crowd(attempts: list[grab.Attempt]) -> list[grab.Claimed | BaseException]:
    async def one(attempt: grab.Attempt) -> grab.Claimed:
        await asyncio.sleep(0)  # every attempt starts before any answer arrives
        return await grab_async.claim(attempt)

    return await asyncio.gather(*(one(a) for a in attempts), return_exceptions=True)


@needs_redis
def test_a_crowd_on_one_loop_gets_exactly_the_stock(session: Session, workspace: Workspace) -> None:
    fans = make_fans(session, workspace.id, 40)
    campaign = make_campaign(
        session,
        workspace.id,
        25,
        per_customer_limit=2,
        starts_at=utcnow() - timedelta(seconds=5),
    )
    session.flush()
    client = get_redis()
    assert client is not None
    stream.arm(session, client, campaign)  # armed: no attempt needs a worker thread
    session.commit()
    attempts = [grab.Attempt(workspace.id, campaign.id, fans[i % 40]) for i in range(240)]
    answers = run_loop(_crowd(attempts))

    claimed = [a for a in answers if isinstance(a, grab.Claimed)]
    refused = [a for a in answers if not isinstance(a, grab.Claimed)]
    assert all(isinstance(a, Problem) for a in refused), refused[:3]
    assert {a.slug for a in refused if isinstance(a, Problem)} <= {
        "coupon-sold-out",
        "coupon-already-claimed",
        "coupon-rate-limited",
    }
    assert len(claimed) == 25
    assert sorted(c.slot for c in claimed) == list(range(1, 26))
    _drain()
    rows = list(session.scalars(select(CouponClaim).where(CouponClaim.campaign_id == campaign.id)))
    assert {(r.slot, r.customer_id, r.code) for r in rows} == {
        (c.slot, c.customer_id, c.code) for c in claimed
    }
    assert max(Counter(r.customer_id for r in rows).values()) <= 2
    session.expire_all()
    assert session.get_one(CouponCampaign, campaign.id).remaining == 0


@needs_redis
def test_unarmed_and_gated_campaigns_take_the_store_path(
    session: Session, workspace: Workspace
) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    open_grab = make_campaign(session, workspace.id, 3)
    shared = make_campaign(session, workspace.id, 3, channel="share")
    starts = (utcnow() + timedelta(hours=1)).replace(microsecond=0)  # Redis keeps milliseconds
    later = make_campaign(session, workspace.id, 3, starts_at=starts)
    session.commit()

    first = run_loop(grab_async.claim(grab.Attempt(workspace.id, open_grab.id, fan)))
    assert first.slot == 1 and not first.persisted  # armed on the way, then claimed in Redis
    with pytest.raises(Problem) as refused:
        run_loop(grab_async.claim(grab.Attempt(workspace.id, shared.id, fan)))
    assert refused.value.slug == "coupon-share-required"
    with pytest.raises(Problem) as early:
        run_loop(grab_async.claim(grab.Attempt(workspace.id, later.id, fan)))
    assert early.value.slug == "coupon-not-started"
    with pytest.raises(Problem) as again:  # armed now: answered from Redis, same answer
        run_loop(grab_async.claim(grab.Attempt(workspace.id, later.id, fan)))
    assert again.value.slug == "coupon-not-started"
    assert again.value.body(str)["starts_at"] == early.value.body(str)["starts_at"]


def test_api_claims_check_the_fan_and_cache_the_token(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = make_fans(session, workspace.id, 2)
    stranger = make_fans(session, factories.make_workspace(session).id, 1, prefix="x")[0]
    campaign = make_campaign(session, workspace.id, 5)
    session.commit()
    url = f"/api/v1/coupon-campaigns/{campaign.id}/claims"

    assert api.post(url, json={"customer_id": fans[0]}).status_code == 201
    assert api.post(url, json={"customer_id": stranger}).status_code == 404
    assert api.post(url, json={"customer_id": fans[1]}).status_code == 201

    client = get_redis()
    if client is not None:  # server mode: the token's resolution is cached, for a bounded time
        secret = api.headers["Authorization"].split()[1]
        key = f"siyu:tok:{token_digest(secret)}"
        assert 0 < int(client.ttl(key)) <= TOKEN_CACHE_SECONDS
    missing = api.post(url, json={"customer_id": fans[1]}, headers={"Authorization": ""})
    assert missing.status_code == 401
    assert missing.json()["type"] == PROBLEM + "token-missing"


@needs_redis
def test_api_claims_learn_fans_added_after_the_campaign_was_armed(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = make_fans(session, workspace.id, 1)
    stranger = make_fans(session, factories.make_workspace(session).id, 1, prefix="x")[0]
    campaign = make_campaign(session, workspace.id, 5)
    session.commit()
    url = f"/api/v1/coupon-campaigns/{campaign.id}/claims"
    assert api.post(url, json={"customer_id": fans[0]}).status_code == 201  # arms the campaign
    client = get_redis()
    assert client is not None
    bitmap = stream.fans_key(campaign.id)
    assert client.getbit(bitmap, fans[0]) == 1  # the workspace's fans came with the arming

    newcomer = make_fans(session, workspace.id, 1, prefix="n")[0]
    session.commit()
    assert client.getbit(bitmap, newcomer) == 0
    assert api.post(url, json={"customer_id": newcomer}).status_code == 201
    assert client.getbit(bitmap, newcomer) == 1  # checked in the store once, then remembered

    for outsider in (stranger, 2**40):
        refused = api.post(url, json={"customer_id": outsider})
        assert refused.status_code == 404
        assert refused.json()["type"] == PROBLEM + "customer-not-found"
    assert client.getbit(bitmap, stranger) == 0
    assert int(client.get(stream.key(campaign.id, "stock"))) == 3


def test_a_revoked_token_stops_claiming_at_once(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = make_fans(session, workspace.id, 2)
    campaign = make_campaign(session, workspace.id, 5)
    session.commit()
    url = f"/api/v1/coupon-campaigns/{campaign.id}/claims"
    assert api.post(url, json={"customer_id": fans[0]}).status_code == 201  # cached now

    secret = api.headers["Authorization"].split()[1]
    token = workspaces.resolve_token(session, secret)
    assert token is not None
    workspaces.revoke_token(session, workspace.id, token.id, ACTOR)
    session.commit()

    refused = api.post(url, json={"customer_id": fans[1]})
    assert refused.status_code == 401
    assert refused.json()["type"] == PROBLEM + "token-invalid"
