"""The leaderboard under real concurrency: parallel reservations through share links and
parallel visits, committed by separate connections, give an exact board — in the store, and in
Redis when it is configured (PostgreSQL + Redis) — and count each visitor once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu import jobs
from siyu.db import database
from siyu.kit.redis import get_redis
from siyu.live import board, service, visits
from siyu.live.models import LiveInvite, LiveVisit
from tests import factories
from tests.concurrency import in_parallel, run_loop, scratch_store
from tests.coupons import make_fans
from tests.live import make_live

SHARERS = 8
INVITEES = 120
WORKERS = 12


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    with scratch_store() as factory:
        yield factory


def _setup(factory: sessionmaker[Session]) -> tuple[int, int, list[int], list[str], list[int]]:
    with factory() as session:
        workspace = factories.make_workspace(session)
        fans = make_fans(session, workspace.id, SHARERS + INVITEES)
        live = make_live(session, workspace.id)
        sharers, invitees = fans[:SHARERS], fans[SHARERS:]
        codes = [service.share_link(session, workspace.id, live.id, s)[0].code for s in sharers]
        session.commit()
        return workspace.id, live.id, sharers, codes, invitees


def test_parallel_reservations_make_an_exact_board(store: sessionmaker[Session]) -> None:
    workspace_id, live_id, sharers, codes, invitees = _setup(store)
    # every invitee reserves twice, at once, through the same sharer's link
    plan = [(invitees[i % INVITEES], (i % INVITEES) % SHARERS) for i in range(2 * INVITEES)]

    def reserve(i: int) -> bool:
        invitee, sharer = plan[i]
        with store() as session:
            _, created = service.reserve(session, workspace_id, live_id, invitee, via=codes[sharer])
            session.commit()
            return created

    answers = in_parallel(WORKERS, len(plan), reserve)
    assert not [a for a in answers if isinstance(a, BaseException)], answers[:3]
    assert sum(1 for a in answers if a is True) == INVITEES

    expected = Counter(sharers[k % SHARERS] for k in range(INVITEES))
    with store() as session:
        live = service.get_live(session, workspace_id, live_id)
        stored = board.sql_top(session, workspace_id, live_id, SHARERS)
        assert {s.customer_id: s.invites for s in stored} == expected
        assert [s.rank for s in stored] == list(range(1, SHARERS + 1))
        client = get_redis()
        if client is not None:  # the Redis board, fed after each commit, agrees exactly
            fed = board.redis_top(client, live_id, SHARERS)
            assert fed == stored
            assert service.leaderboard(session, live, SHARERS) == stored


def test_parallel_visits_count_each_visitor_once(store: sessionmaker[Session]) -> None:
    _workspace_id, live_id, _sharers, codes, _invitees = _setup(store)
    visitors = [visits.new_visitor() for _ in range(40)]
    attempts = [(codes[i % 3], visitors[i % 40]) for i in range(360)]

    async def storm() -> list[int | BaseException | None]:
        async def one(code: str, visitor: str) -> int | None:
            await asyncio.sleep(0)
            return await visits.count_visit(code, visitor)

        return await asyncio.gather(*(one(c, v) for c, v in attempts), return_exceptions=True)

    engine = store.kw["bind"]
    database.configure(engine)
    try:
        answers = run_loop(storm())
    finally:
        database.reset()
    assert all(a == live_id for a in answers), [a for a in answers if a != live_id][:3]
    expected = len(set(attempts))
    with store() as session:
        counted = session.scalar(select(func.count()).select_from(LiveVisit))
        assert counted == expected
        assert session.scalar(select(func.count()).select_from(LiveInvite)) == 0
