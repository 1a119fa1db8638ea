"""The grab under real concurrency: N parallel claimers for Q coupons give exactly Q claims, no
customer over the limit, and (server mode) the store and Redis agree once the consumer drains.
Fault tests: a consumer that dies before or after persisting, Redis unreachable mid-grab, and
Redis losing the campaign's keys."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu import jobs
from siyu.coupons import engine as grab_engine
from siyu.coupons import grab, stream
from siyu.coupons.models import CouponCampaign, CouponClaim
from siyu.kit.clock import utcnow
from siyu.kit.errors import Problem
from tests import factories
from tests.concurrency import in_parallel, scratch_store
from tests.conftest import TEST_REDIS_URL
from tests.coupons import make_campaign, make_fans

QUANTITY = 25
LIMIT = 2
FANS = 40
ATTEMPTS = 240
WORKERS = 12
REFUSALS = {
    "coupon-sold-out",
    "coupon-already-claimed",
    "coupon-rate-limited",
    "coupon-grab-unavailable",
}

needs_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="SIYU_TEST_REDIS_URL is not set")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    # Jobs enqueued in the scratch store would be run against the test database; the engine
    # arms Redis on the first attempt anyway.
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    with scratch_store() as factory:
        yield factory


def _grab_redis_url(url: str) -> str:
    """The database next to the test one (15 → 14): every other test flushes the test database
    when it starts, and a flush in the middle of a grab (another suite running at the same time
    on a shared machine) is a Redis data loss these tests are not about."""
    base, _, db = url.rpartition("/")
    return f"{base}/{int(db or 15) - 1}" if db.isdigit() else url


@pytest.fixture
def redis_client() -> Iterator[Redis]:
    assert TEST_REDIS_URL
    client = Redis.from_url(_grab_redis_url(TEST_REDIS_URL))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _setup(store: sessionmaker[Session]) -> tuple[int, int, list[int]]:
    with store() as session:
        workspace = factories.make_workspace(session)
        fans = make_fans(session, workspace.id, FANS)
        campaign = make_campaign(
            session,
            workspace.id,
            QUANTITY,
            per_customer_limit=LIMIT,
            starts_at=utcnow() - timedelta(seconds=5),
        )
        session.commit()
        return workspace.id, campaign.id, fans


def _grab(
    store: sessionmaker[Session],
    workspace_id: int,
    campaign_id: int,
    fans: list[int],
    redis: object,
) -> list[grab.Claimed | BaseException]:
    def attempt(i: int) -> grab.Claimed:
        with store() as session:
            claimed = grab_engine.claim(
                session,
                grab.Attempt(workspace_id, campaign_id, fans[i % len(fans)], source="fan"),
                redis=redis,
            )
            session.commit()
            return claimed

    return in_parallel(WORKERS, ATTEMPTS, attempt)


def _claims(store: sessionmaker[Session], campaign_id: int) -> list[CouponClaim]:
    with store() as session:
        return list(
            session.scalars(select(CouponClaim).where(CouponClaim.campaign_id == campaign_id))
        )


def _assert_exact(
    store: sessionmaker[Session],
    campaign_id: int,
    answers: list[grab.Claimed | BaseException],
) -> None:
    claimed = [a for a in answers if isinstance(a, grab.Claimed)]
    refused = [a for a in answers if not isinstance(a, grab.Claimed)]
    unexpected = [a for a in refused if not (isinstance(a, Problem) and a.slug in REFUSALS)]
    assert not unexpected, unexpected[:3]
    rows = _claims(store, campaign_id)
    assert len(rows) == QUANTITY == len(claimed)
    assert sorted(r.slot for r in rows) == list(range(1, QUANTITY + 1))
    assert max(Counter(r.customer_id for r in rows).values()) <= LIMIT
    # every answer "claimed" is in the store exactly once, with the code the fan was shown
    stored = {(r.slot, r.customer_id, r.code) for r in rows}
    assert {(c.slot, c.customer_id, c.code) for c in claimed} == stored
    with store() as session:
        assert session.get_one(CouponCampaign, campaign_id).remaining == 0


def test_embedded_grab_hands_out_exactly_the_stock(store: sessionmaker[Session]) -> None:
    workspace_id, campaign_id, fans = _setup(store)
    answers = _grab(store, workspace_id, campaign_id, fans, redis=None)
    _assert_exact(store, campaign_id, answers)


@needs_redis
def test_redis_grab_then_drain_agrees_with_the_store(
    store: sessionmaker[Session], redis_client: Redis
) -> None:
    workspace_id, campaign_id, fans = _setup(store)
    answers = _grab(store, workspace_id, campaign_id, fans, redis=redis_client)
    assert not _claims(store, campaign_id)  # nothing persisted until the consumer runs
    report = stream.drain(store, redis_client, name="c1")
    assert report.persisted == QUANTITY
    _assert_exact(store, campaign_id, answers)
    taken = redis_client.hvals(stream.key(campaign_id, "taken"))
    assert sum(int(v) for v in taken) == QUANTITY
    assert all(r.agrees for r in stream.reconcile(store, redis_client))


@needs_redis
def test_consumer_dying_before_or_after_persisting_loses_and_doubles_nothing(
    store: sessionmaker[Session], redis_client: Redis
) -> None:
    workspace_id, campaign_id, fans = _setup(store)
    answers = _grab(store, workspace_id, campaign_id, fans[: FANS // 2], redis=redis_client)
    stream_key = stream.key(campaign_id, "claims")
    # consumer "a" reads a batch and dies before writing anything
    read = redis_client.xreadgroup(stream.GROUP, "a", {stream_key: ">"}, count=5)
    assert len(read[0][1]) == 5
    # consumer "b" reads the next batch, commits it, and dies before acknowledging
    batch = redis_client.xreadgroup(stream.GROUP, "b", {stream_key: ">"}, count=5)[0][1]
    assert stream._persist(store, campaign_id, batch) == 5
    # both restart under their names: pending entries first, then the rest
    first = stream.drain(store, redis_client, name="a")
    again = stream.drain(store, redis_client, name="b")
    assert first.persisted + again.persisted + 5 == QUANTITY
    assert again.duplicates == 5
    rest = _grab(store, workspace_id, campaign_id, fans, redis=redis_client)
    stream.drain(store, redis_client, name="a")
    _assert_exact(store, campaign_id, answers + rest)


@needs_redis
def test_redis_unreachable_fails_closed_and_oversells_nothing(
    store: sessionmaker[Session], redis_client: Redis
) -> None:
    workspace_id, campaign_id, fans = _setup(store)
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)

    def attempt(i: int) -> grab.Claimed:
        client = dead if i % 3 == 0 else redis_client  # Redis "goes away" for a third of calls
        with store() as session:
            claimed = grab_engine.claim(
                session,
                grab.Attempt(workspace_id, campaign_id, fans[i % FANS], source="fan"),
                redis=client,
            )
            session.commit()
            return claimed

    answers = in_parallel(WORKERS, ATTEMPTS, attempt)
    # without Redis: "unavailable", or "sold out" from the process's memory once it knows
    cut_off = {type(a).__name__ if not isinstance(a, Problem) else a.slug for a in answers[::3]}
    assert cut_off <= {"coupon-grab-unavailable", "coupon-sold-out"}
    assert "coupon-grab-unavailable" in cut_off
    stream.drain(store, redis_client, name="c1")
    _assert_exact(store, campaign_id, answers)


@needs_redis
def test_redis_losing_the_campaign_rebuilds_from_the_store(
    store: sessionmaker[Session], redis_client: Redis
) -> None:
    workspace_id, campaign_id, fans = _setup(store)
    first = _grab(store, workspace_id, campaign_id, fans[:5], redis=redis_client)
    stream.drain(store, redis_client, name="c1")
    with store() as session:
        persisted = session.scalar(
            select(func.count()).where(CouponClaim.campaign_id == campaign_id)
        )
    assert persisted == 5 * LIMIT
    # Redis restarts empty (its claims were already persisted); the grab goes on
    for part in ("meta", "stock", "taken", "claims", "stats"):
        redis_client.delete(stream.key(campaign_id, part))
    rest = _grab(store, workspace_id, campaign_id, fans, redis=redis_client)
    stream.drain(store, redis_client, name="c1")
    _assert_exact(store, campaign_id, first + rest)
