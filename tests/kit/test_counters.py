from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from siyu.kit.counters import Counter, RedisCounter, SqlCounter, counter_for
from siyu.kit.redis import get_redis


def _counters(session: Session) -> list[Counter]:
    counters: list[Counter] = [SqlCounter(session)]
    client = get_redis()
    if client is not None:
        counters.append(RedisCounter(client))
    return counters


def test_counts_up_to_the_limit_then_refuses(session: Session) -> None:
    for counter in _counters(session):
        verdicts = [counter.hit("test:limit", limit=3, window_seconds=60) for _ in range(5)]
        assert [v.allowed for v in verdicts] == [True, True, True, False, False]
        assert verdicts[-1].hits == 5
        assert 1 <= verdicts[-1].retry_after <= 60
        assert counter.peek("test:limit", 60) == 5


def test_keys_are_independent_and_clearable(session: Session) -> None:
    for counter in _counters(session):
        counter.hit("test:a", 1, 60)
        assert counter.hit("test:b", 1, 60).allowed
        counter.clear("test:a")
        assert counter.peek("test:a", 60) == 0
        assert counter.hit("test:a", 1, 60).allowed


def test_counter_follows_configuration(session: Session) -> None:
    expected = RedisCounter if get_redis() is not None else SqlCounter
    assert isinstance(counter_for(session), expected)


@pytest.mark.parametrize("window", [1, 60, 900])
def test_new_window_resets(session: Session, window: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import siyu.kit.counters as counters

    start = 1_800_000_000 - 1_800_000_000 % window
    moments = iter([start + 0.1, start + window + 0.1])
    monkeypatch.setattr(counters, "utcnow", lambda: datetime.fromtimestamp(next(moments), UTC))
    sql = SqlCounter(session)
    assert sql.hit(f"test:w{window}", 1, window).allowed
    assert sql.hit(f"test:w{window}", 1, window).allowed  # the next window starts over


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.integers(min_value=1, max_value=4)), max_size=25)
)
def test_counters_agree_with_a_model(session: Session, hits: list[tuple[str, int]]) -> None:
    """Within one window, a key allows exactly its first ``limit`` hits, whatever the order."""
    for counter in _counters(session):
        prefix = f"prop:{uuid.uuid4().hex}:"
        seen: dict[str, int] = {}
        for key, limit in hits:
            seen[key] = seen.get(key, 0) + 1
            verdict = counter.hit(prefix + key, limit, 3600)
            assert verdict.hits == seen[key]
            assert verdict.allowed == (seen[key] <= limit)
