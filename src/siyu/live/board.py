"""The leaderboard: sharers ranked by effective invites, ties to whoever reached the count
first (the earlier of the two invites that brought them to it).

Embedded mode reads it from the store: the invites table *is* the board (one row per invitee,
kept unique by a constraint), grouped per sharer. Server mode keeps a Redis sorted set per live
beside it, fed after each commit by one script that is an idempotent merge: an invitee is
counted once (a set of invitees), so replaying an invite, or rebuilding the set from the store
while new invites arrive, never counts one twice. The score packs both keys of the order into
one exact double: ``invites × 2³² + (2³² − 1 − id of the invite that reached the count)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from siyu.live.models import LiveInvite

SHIFT = 2**32
RECORD_CHUNK = 500

# ARGV: triples of invitee, sharer, invite id. Returns how many were new.
RECORD_SCRIPT = """
local shift = 4294967296
local added = 0
for i = 1, #ARGV, 3 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    local sharer, reached = ARGV[i + 1], tonumber(ARGV[i + 2])
    local invites = 1
    local old = redis.call('ZSCORE', KEYS[1], sharer)
    if old then
      old = tonumber(old)
      invites = math.floor(old / shift) + 1
      local old_reached = shift - 1 - (old % shift)
      if old_reached > reached then reached = old_reached end
    end
    redis.call('ZADD', KEYS[1], invites * shift + (shift - 1 - reached), sharer)
    added = added + 1
  end
end
return added
"""


@dataclass(frozen=True)
class Standing:
    customer_id: int
    invites: int
    rank: int


@dataclass(frozen=True)
class Invite:
    invitee_id: int
    sharer_id: int
    invite_id: int


def keys(live_id: int) -> tuple[str, str, str]:
    """Board, invitees and the "merged from the store" mark; one hash tag per live."""
    tag = f"siyu:live:{{{live_id}}}"
    return f"{tag}:board", f"{tag}:invitees", f"{tag}:armed"


def _args(invites: Iterable[Invite]) -> list[int]:
    return [v for i in invites for v in (i.invitee_id, i.sharer_id, i.invite_id)]


def _decode(rows: Sequence[tuple[Any, float]], first_rank: int) -> list[Standing]:
    return [
        Standing(int(member), int(score) // SHIFT, first_rank + n)
        for n, (member, score) in enumerate(rows)
    ]


# --- the store ---------------------------------------------------------------------------


def _totals(workspace_id: int, live_id: int) -> Any:
    return (
        select(
            LiveInvite.sharer_id,
            func.count().label("invites"),
            func.max(LiveInvite.id).label("reached"),
        )
        .where(LiveInvite.workspace_id == workspace_id, LiveInvite.live_id == live_id)
        .group_by(LiveInvite.sharer_id)
        .subquery()
    )


def sql_top(session: Session, workspace_id: int, live_id: int, limit: int) -> list[Standing]:
    totals = _totals(workspace_id, live_id)
    rows = session.execute(
        select(totals.c.sharer_id, totals.c.invites)
        .order_by(totals.c.invites.desc(), totals.c.reached)
        .limit(limit)
    )
    return [Standing(int(c), int(n), rank) for rank, (c, n) in enumerate(rows, start=1)]


def sql_standing(
    session: Session, workspace_id: int, live_id: int, customer_id: int
) -> Standing | None:
    totals = _totals(workspace_id, live_id)
    mine = session.execute(
        select(totals.c.invites, totals.c.reached).where(totals.c.sharer_id == customer_id)
    ).first()
    if mine is None:
        return None
    invites, reached = mine
    ahead = session.scalar(
        select(func.count()).where(
            or_(
                totals.c.invites > invites,
                and_(totals.c.invites == invites, totals.c.reached < reached),
            )
        )
    )
    return Standing(customer_id, int(invites), int(ahead or 0) + 1)


def store_invites(session: Session, workspace_id: int, live_id: int) -> list[Invite]:
    rows = session.execute(
        select(LiveInvite.invitee_id, LiveInvite.sharer_id, LiveInvite.id).where(
            LiveInvite.workspace_id == workspace_id, LiveInvite.live_id == live_id
        )
    )
    return [Invite(int(a), int(b), int(c)) for a, b, c in rows]


# --- Redis, synchronous (after a commit, and the rebuild) --------------------------------


def record(client: Redis, live_id: int, invites: Sequence[Invite]) -> int:
    board, invitees, _ = keys(live_id)
    added = 0
    for start in range(0, len(invites), RECORD_CHUNK):
        chunk = _args(invites[start : start + RECORD_CHUNK])
        added += int(client.eval(RECORD_SCRIPT, 2, board, invitees, *chunk))
    return added


def ensure_armed(client: Redis, session: Session, workspace_id: int, live_id: int) -> None:
    """Merge the store's invites into the set once (after a restart or a lost key)."""
    armed = keys(live_id)[2]
    if client.exists(armed):
        return
    record(client, live_id, store_invites(session, workspace_id, live_id))
    client.set(armed, 1)


def redis_top(client: Redis, live_id: int, limit: int) -> list[Standing]:
    rows = client.zrevrange(keys(live_id)[0], 0, limit - 1, withscores=True)
    return _decode(list(rows), 1)  # type: ignore[arg-type]


def redis_standing(client: Redis, live_id: int, customer_id: int) -> Standing | None:
    board = keys(live_id)[0]
    pipe = client.pipeline(transaction=False)
    pipe.zrevrank(board, customer_id)
    pipe.zscore(board, customer_id)
    rank, score = pipe.execute()
    if rank is None or score is None:
        return None
    return Standing(customer_id, int(score) // SHIFT, int(rank) + 1)
