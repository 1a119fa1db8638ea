from __future__ import annotations

from datetime import UTC, datetime

import pytest
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
