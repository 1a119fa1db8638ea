"""Counters stay exact when many requests hit one key at once (SQLite, PostgreSQL, Redis)."""

from __future__ import annotations

import pytest

from siyu.kit.counters import RedisCounter, SqlCounter
from siyu.kit.redis import get_redis
from tests.concurrency import in_parallel, scratch_store

pytestmark = pytest.mark.concurrency

HITS = 200
LIMIT = 37


def test_sql_counter_under_parallel_hits() -> None:
    with scratch_store() as sessions:

        def hit(_: int) -> bool:
            with sessions() as session:
                verdict = SqlCounter(session).hit("conc:key", LIMIT, 3600)
                session.commit()
                return verdict.allowed

        results = in_parallel(8, HITS, hit)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors[:3]
        assert results.count(True) == LIMIT
        with sessions() as session:
            assert SqlCounter(session).peek("conc:key", 3600) == HITS


@pytest.mark.skipif(get_redis() is None, reason="needs SIYU_TEST_REDIS_URL")
def test_redis_counter_under_parallel_hits() -> None:
    counter = RedisCounter(get_redis())
    results = in_parallel(8, HITS, lambda _: counter.hit("conc:redis", LIMIT, 3600).allowed)
    assert results.count(True) == LIMIT
    assert counter.peek("conc:redis", 3600) == HITS
