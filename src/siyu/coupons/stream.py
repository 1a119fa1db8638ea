"""Server mode of the grab: Redis holds the live stock; a stream carries claims to the store.

Keys of one campaign share the hash tag ``{c:<id>}`` so the claim script works on Redis Cluster:

    siyu:cpn:{c:7}:meta    hash  workspace, quantity, limit, starts/ends (ms), gated, pool
    siyu:cpn:{c:7}:stock   int   coupons left
    siyu:cpn:{c:7}:taken   hash  customer id → coupons claimed
    siyu:cpn:{c:7}:codes   hash  slot → pool code (and link), for campaigns with a code pool
    siyu:cpn:{c:7}:claims  stream of claims, read by the consumer group ``persist``
    siyu:cpn:{c:7}:stats   hash  refusals given (sold_out, already, rate_limited, …)
    siyu:cpn:{c:7}:fans    bitmap  bit N set: customer N is a fan of the campaign's workspace
    siyu:cpn:{c:7}:rate:<customer>:<second>   per-customer attempt counter

A campaign is *armed* (its keys written from the store) on its first attempt, and re-armed from
the store if its keys vanish (a Redis that restarted without its data). ``siyu:cpn:active``
lists armed campaigns for the consumer and the reconciliation job.

Durability: the script's reply is sent after the stream entry is in Redis's AOF buffer. With
``appendfsync always`` a claim answered "claimed" survives a Redis crash; with ``everysec`` up to
about one second of answered claims can be lost if the *machine* (not just Redis) dies. The
consumer acknowledges an entry only after its claim is committed, and persisting is idempotent
on (campaign, slot), so consumer crashes lose and double nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.coupons import grab
from siyu.coupons.models import CouponCampaign, CouponClaim, CouponCode, CouponTemplate
from siyu.customers.service import require_customer
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import Problem
from siyu.kit.sql import insert_for

log = logging.getLogger("siyu.coupons")

GROUP = "persist"
ACTIVE_KEY = "siyu:cpn:active"
STALE_PENDING_MS = 30_000  # another consumer's unacknowledged entries older than this are taken


def key(campaign_id: int, part: str) -> str:
    return f"siyu:cpn:{{c:{campaign_id}}}:{part}"


def _keys(campaign_id: int) -> list[str]:
    return [key(campaign_id, p) for p in ("meta", "stock", "taken", "codes", "claims", "stats")]


# Redis bit offsets stop at 2**32 (the claim script's 4294967296); customers beyond (never seen
# in practice) are checked in the store on every API claim.
FAN_BITMAP_IDS = 1 << 32

CLAIM_SCRIPT = """
local meta = redis.call('HMGET', KEYS[1], 'workspace', 'quantity', 'limit', 'starts', 'ends',
                        'gated', 'pool')
local stockraw = redis.call('GET', KEYS[2])
if not meta[1] or not stockraw then return {'unarmed'} end
if meta[1] ~= ARGV[2] then return {'not-found'} end
if ARGV[8] == '1' and (tonumber(ARGV[1]) >= 4294967296 or
                       redis.call('GETBIT', KEYS[8], ARGV[1]) == 0) then
  return {'unknown-fan'}
end
local now = tonumber(ARGV[3])
if now < tonumber(meta[4]) then
  redis.call('HINCRBY', KEYS[6], 'not_started', 1) return {'not-started'}
end
if meta[5] ~= '' and now >= tonumber(meta[5]) then
  redis.call('HINCRBY', KEYS[6], 'ended', 1) return {'ended'}
end
if tonumber(stockraw) <= 0 then
  if tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') >= tonumber(meta[3]) then
    redis.call('HINCRBY', KEYS[6], 'already', 1) return {'already-claimed'}
  end
  redis.call('HINCRBY', KEYS[6], 'sold_out', 1) return {'sold-out'}
end
if meta[6] == '1' and ARGV[5] ~= '1' then return {'check'} end
if tonumber(ARGV[6]) > 0 then
  local hits = redis.call('INCR', KEYS[7])
  if hits == 1 then redis.call('EXPIRE', KEYS[7], 2) end
  if hits > tonumber(ARGV[6]) then
    redis.call('HINCRBY', KEYS[6], 'rate_limited', 1) return {'rate-limited'}
  end
end
local taken = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if taken >= tonumber(meta[3]) then
  redis.call('HINCRBY', KEYS[6], 'already', 1) return {'already-claimed'}
end
local left = redis.call('DECR', KEYS[2])
local slot = tonumber(meta[2]) - left
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
local code = ARGV[4]
if meta[7] == '1' then code = redis.call('HGET', KEYS[4], tostring(slot)) or code end
redis.call('XADD', KEYS[5], '*', 'c', ARGV[1] .. '|' .. slot .. '|' .. (taken + 1) .. '|' ..
           ARGV[3] .. '|' .. ARGV[7] .. '|' .. code)
return {'claimed', slot, taken + 1, code, left}
"""

# Arms a campaign unless its stock is already there (then only its rules are refreshed).
ARM_SCRIPT = """
redis.call('HSET', KEYS[1], 'workspace', ARGV[1], 'quantity', ARGV[2], 'limit', ARGV[3],
           'starts', ARGV[4], 'ends', ARGV[5], 'gated', ARGV[6], 'pool', ARGV[9])
redis.call('SADD', KEYS[7], ARGV[8])
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[7])
local i = 10
while i < #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) i = i + 2
end
pcall(redis.call, 'XGROUP', 'CREATE', KEYS[5], 'persist', '0', 'MKSTREAM')
return 1
"""


class _Scripts:
    def __init__(self, client: Redis) -> None:
        self.claim = client.register_script(CLAIM_SCRIPT)
        self.arm = client.register_script(ARM_SCRIPT)


_scripts: dict[int, _Scripts] = {}


def scripts(client: Redis) -> _Scripts:
    found = _scripts.get(id(client))
    if found is None:
        found = _scripts[id(client)] = _Scripts(client)
    return found


def _ms(moment: datetime | None) -> str:
    return "" if moment is None else str(int(as_utc(moment).timestamp() * 1000))


# --- claiming -------------------------------------------------------------------------------


def claim(session: Session, client: Redis, attempt: grab.Attempt) -> grab.Claimed:
    try:
        return _claim(session, client, attempt)
    except RedisError as exc:
        log.warning("coupon grab refused, Redis unavailable: %s", exc)
        raise grab.grab_unavailable() from exc


def _claim(session: Session, client: Redis, attempt: grab.Attempt) -> grab.Claimed:
    settings = get_settings()
    if attempt.ip and settings.grab_ip_attempts_per_second:
        _limit_ip(client, attempt.ip, settings.grab_ip_attempts_per_second)
    if attempt.source != "fan":  # fan pages carry a signed identity; others name a customer
        require_customer(session, attempt.workspace_id, attempt.customer_id)
    store_checked = False
    for _ in range(3):
        answer = _run_claim(client, attempt, store_checked)
        verdict = verdict_of(answer)
        if verdict == "claimed":
            return claimed_answer(attempt, answer)
        if verdict == "unarmed":
            campaign = grab.load_campaign(session, attempt.workspace_id, attempt.campaign_id)
            arm(session, client, campaign)
            continue
        if verdict == "check":
            campaign = grab.load_campaign(session, attempt.workspace_id, attempt.campaign_id)
            store_checks(session, campaign, attempt)
            store_checked = True
            continue
        _refuse(session, attempt, verdict)
    raise grab.grab_unavailable()


def _run_claim(client: Redis, attempt: grab.Attempt, store_checked: bool) -> list[Any]:
    keys, args = claim_call(attempt, store_checked, fan_checked=True)
    return list(scripts(client).claim(keys=keys, args=args))


def claim_call(
    attempt: grab.Attempt, store_checked: bool, fan_checked: bool
) -> tuple[list[str], list[Any]]:
    """The claim script's keys and arguments for one attempt (shared with the async path).
    Unless ``fan_checked``, an attempt that names a customer (the API) must find them in the
    campaign's fan bitmap, else the script answers ``unknown-fan`` and changes nothing."""
    settings = get_settings()
    now = utcnow()
    second = int(now.timestamp())
    rate = settings.grab_customer_attempts_per_second if attempt.source in grab.FAN_SOURCES else 0
    keys = [
        *_keys(attempt.campaign_id),
        key(attempt.campaign_id, f"rate:{attempt.customer_id}:{second}"),
        fans_key(attempt.campaign_id),
    ]
    args: list[Any] = [
        attempt.customer_id,
        attempt.workspace_id,
        _ms(now),
        grab.new_code(),
        "1" if store_checked else "0",
        rate,
        attempt.source,
        "0" if fan_checked or attempt.source == "fan" else "1",
    ]
    return keys, args


def verdict_of(answer: list[Any]) -> str:
    return _text(answer[0])


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def claimed_answer(attempt: grab.Attempt, answer: list[Any]) -> grab.Claimed:
    code, _, link = _text(answer[3]).partition("\n")
    return grab.Claimed(
        attempt.campaign_id,
        attempt.customer_id,
        int(answer[1]),
        int(answer[2]),
        code,
        link or None,
        utcnow(),
        persisted=False,
        left=int(answer[4]),
    )


def _refuse(session: Session, attempt: grab.Attempt, verdict: str) -> None:
    refusal = store_free_refusal(attempt, verdict)
    if refusal is not None:
        raise refusal
    campaign = grab.load_campaign(session, attempt.workspace_id, attempt.campaign_id)
    if verdict == "not-started":
        raise grab.not_started(campaign.starts_at)
    raise grab.ended()


def store_free_refusal(attempt: grab.Attempt, verdict: str) -> Problem | None:
    """The refusal for a verdict the script's answer settles alone (None: ask the store)."""
    if verdict == "sold-out":  # Redis answers a sold-out campaign itself: no process memory
        return grab.sold_out()
    if verdict == "already-claimed":  # the fan's page links to their coupons; no store read
        return grab.already_claimed()
    if verdict == "rate-limited":
        return grab.rate_limited()
    if verdict == "not-found":
        return grab.campaign_not_found()
    if verdict == "ended":
        return grab.ended()
    return None


def _limit_ip(client: Redis, ip: str, limit: int) -> None:
    redis_key = ip_rate_key(ip)
    pipe = client.pipeline(transaction=False)
    pipe.incr(redis_key)
    pipe.expire(redis_key, 2)
    hits = int(pipe.execute()[0])
    if hits > limit:
        raise grab.rate_limited()


def ip_rate_key(ip: str) -> str:
    return f"siyu:rate:grab-ip:{ip}:{int(utcnow().timestamp())}"


def _gated(campaign: CouponCampaign) -> bool:
    """Whether attempts need rules only the store knows (channel, share, audience segment).
    An open grab — the hot case — needs none, and never touches the store."""
    return campaign.channel not in ("grab", "post_live") or campaign.segment_id is not None


def store_checks(session: Session, campaign: CouponCampaign, attempt: grab.Attempt) -> None:
    grab.check_channel(campaign, attempt.source)
    grab.check_share(session, campaign, attempt)
    grab.check_audience(session, campaign, attempt.customer_id)


# --- arming ---------------------------------------------------------------------------------


def arm(session: Session, client: Redis, campaign: CouponCampaign) -> bool:
    """Write a campaign's rules, and (if Redis has no stock for it) its stock, the claims per
    customer and its code pool from the store. True when the stock was (re)built."""
    counts = session.execute(
        select(CouponClaim.customer_id, func.count())
        .where(CouponClaim.campaign_id == campaign.id)
        .group_by(CouponClaim.customer_id)
    ).all()
    claimed = sum(int(n) for _, n in counts)
    args: list[Any] = [
        campaign.workspace_id,
        campaign.quantity,
        campaign.per_customer_limit,
        _ms(campaign.starts_at),
        _ms(campaign.ends_at),
        "1" if _gated(campaign) else "0",
        campaign.quantity - claimed,
        campaign.id,
        "1" if campaign.uses_pool else "0",
    ]
    for customer_id, n in counts:
        args += [customer_id, int(n)]
    keys = [*_keys(campaign.id), ACTIVE_KEY]
    built = bool(scripts(client).arm(keys=keys, args=args))
    if built and campaign.uses_pool:
        _load_pool(session, client, campaign)
    if built:
        _load_fans(session, client, campaign)
    return built


def _load_fans(session: Session, client: Redis, campaign: CouponCampaign) -> None:
    """The workspace's fans as one bitmap (one bit per customer id, a few MB at most), so an
    API claim learns in the claim script itself that its fan belongs to the workspace. Fans
    added later are checked in the store once and their bit set then."""
    from siyu.customers.service import customer_ids_of_workspace

    known = customer_ids_of_workspace(session, campaign.workspace_id)
    ids = [i for i in known if i < FAN_BITMAP_IDS]
    if not ids:
        return
    bitmap = bytearray(max(ids) // 8 + 1)
    for customer_id in ids:  # Redis numbers bits from the high end of each byte
        bitmap[customer_id >> 3] |= 0x80 >> (customer_id & 7)
    client.set(fans_key(campaign.id), bytes(bitmap))


def fans_key(campaign_id: int) -> str:
    return key(campaign_id, "fans")


def _load_pool(session: Session, client: Redis, campaign: CouponCampaign) -> None:
    rows = session.execute(
        select(CouponCode.slot, CouponCode.code, CouponCode.link).where(
            CouponCode.campaign_id == campaign.id
        )
    ).all()
    mapping = {str(slot): code + ("\n" + link if link else "") for slot, code, link in rows}
    if mapping:
        client.hset(key(campaign.id, "codes"), mapping=mapping)  # type: ignore[arg-type]


def live_numbers(client: Redis, campaign_id: int) -> dict[str, int] | None:
    """Stock and answers from Redis, or None when the campaign isn't armed."""
    pipe = client.pipeline(transaction=False)
    pipe.get(key(campaign_id, "stock"))
    pipe.hgetall(key(campaign_id, "stats"))
    stock, stats = pipe.execute()
    if stock is None:
        return None
    numbers = {_text(k): int(v) for k, v in stats.items()}
    numbers["remaining"] = int(stock)
    return numbers


# --- the consumer ---------------------------------------------------------------------------


@dataclass
class ConsumeReport:
    read: int = 0
    persisted: int = 0
    duplicates: int = 0
    campaigns: set[int] = field(default_factory=set)


def _members(client: Redis) -> list[Any]:
    members: Any = client.smembers(ACTIVE_KEY)
    return list(members)


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def consume(
    session_factory: Callable[[], Session],
    client: Redis,
    *,
    name: str | None = None,
    count: int = 1000,
    block_ms: int | None = None,
) -> ConsumeReport:
    """Persist one batch from every armed campaign's stream: this consumer's unacknowledged
    entries first (a restart), then stale ones of dead consumers, then new ones. Entries are
    acknowledged only after their claims are committed."""
    name = name or consumer_name()
    report = ConsumeReport()
    campaign_ids = sorted(int(c) for c in _members(client))
    if not campaign_ids:
        return report
    streams = {key(c, "claims"): c for c in campaign_ids}
    for stream_key in streams:
        _ensure_group(client, stream_key)
    batches = _pending(client, name, streams, count)
    if not any(entries for _, entries in batches):
        batches = _read_new(client, name, streams, count, block_ms)
    for stream_key, entries in batches:
        if not entries:
            continue
        campaign_id = streams[stream_key]
        inserted = _persist(session_factory, campaign_id, entries)
        client.xack(stream_key, GROUP, *[entry_id for entry_id, _ in entries])
        report.read += len(entries)
        report.persisted += inserted
        report.duplicates += len(entries) - inserted
        report.campaigns.add(campaign_id)
    return report


def drain(session_factory: Callable[[], Session], client: Redis, **kwargs: Any) -> ConsumeReport:
    """Consume until every stream is empty (tests, reconciliation, the end of a grab)."""
    total = ConsumeReport()
    while True:
        report = consume(session_factory, client, **kwargs)
        if report.read == 0:
            return total
        total.read += report.read
        total.persisted += report.persisted
        total.duplicates += report.duplicates
        total.campaigns |= report.campaigns


def _ensure_group(client: Redis, stream_key: str) -> None:
    try:
        client.xgroup_create(stream_key, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


Entries = list[tuple[Any, dict[Any, Any]]]


def _pending(
    client: Redis, name: str, streams: dict[str, int], count: int
) -> list[tuple[str, Entries]]:
    batches: list[tuple[str, Entries]] = []
    for stream_key in streams:
        mine: Any = client.xreadgroup(GROUP, name, {stream_key: "0"}, count=count)
        entries: Entries = [e for e in (mine[0][1] if mine else []) if e[1]]
        if not entries:
            stale: Any = client.xautoclaim(
                stream_key, GROUP, name, min_idle_time=STALE_PENDING_MS, count=count
            )
            entries = [e for e in stale[1] if e[1]]
        batches.append((stream_key, entries))
    return batches


def _read_new(
    client: Redis, name: str, streams: dict[str, int], count: int, block_ms: int | None
) -> list[tuple[str, Entries]]:
    answer: Any = client.xreadgroup(
        GROUP, name, {k: ">" for k in streams}, count=count, block=block_ms
    )
    return [(_text(stream_key), list(entries)) for stream_key, entries in answer or []]


def _persist(session_factory: Callable[[], Session], campaign_id: int, entries: Entries) -> int:
    session = session_factory()
    try:
        campaign = session.get_one(CouponCampaign, campaign_id)
        template = session.get_one(CouponTemplate, campaign.template_id)
        rows = _own_fans(session, campaign, [_claim_row(campaign, template, f) for _, f in entries])
        if not rows:
            session.commit()
            return 0
        insert = insert_for(session)
        statement = (
            insert(CouponClaim)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["campaign_id", "slot"])
            .returning(CouponClaim.id)
        )
        inserted = len(session.execute(statement).all())
        sync_remaining(session, campaign_id)
        session.commit()
        return inserted
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _own_fans(
    session: Session, campaign: CouponCampaign, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The fan pages' signed cookie is trusted on the hot path; the store still keeps only
    claims of the campaign's own fans (defence in depth: a foreign fan's entry is dropped)."""
    from siyu.customers.service import customer_ids_in_workspace

    own = customer_ids_in_workspace(
        session, campaign.workspace_id, {row["customer_id"] for row in rows}
    )
    for row in rows:
        if row["customer_id"] not in own:
            log.warning(
                "coupon campaign %s: dropped a claim of fan %s of another workspace",
                campaign.id,
                row["customer_id"],
            )
    return [row for row in rows if row["customer_id"] in own]


def _claim_row(
    campaign: CouponCampaign, template: CouponTemplate, fields: dict[Any, Any]
) -> dict[str, Any]:
    # one field: customer|slot|sequence|at (ms)|source|code — the code last, as it may hold "|"
    customer, slot, sequence, at, source, coded = _text(fields.get(b"c") or fields["c"]).split(
        "|", 5
    )
    claimed_at = datetime.fromtimestamp(int(at) / 1000, UTC)
    code, _, link = coded.partition("\n")
    valid_from, valid_until = grab.validity(template, claimed_at)
    return {
        "workspace_id": campaign.workspace_id,
        "campaign_id": campaign.id,
        "customer_id": int(customer),
        "slot": int(slot),
        "sequence": int(sequence),
        "code": code,
        "link": link or None,
        "source": source,
        "claimed_at": claimed_at,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "created_at": utcnow(),
    }


def sync_remaining(session: Session, campaign_id: int) -> None:
    """The store's remaining count follows the claims it holds."""
    claimed = (
        select(func.count())
        .select_from(CouponClaim)
        .where(CouponClaim.campaign_id == campaign_id)
        .scalar_subquery()
    )
    session.execute(
        update(CouponCampaign)
        .where(CouponCampaign.id == campaign_id)
        .values(remaining=CouponCampaign.quantity - claimed)
        .execution_options(synchronize_session=False)
    )


# --- reconciliation -------------------------------------------------------------------------


@dataclass
class Reconciliation:
    campaign_id: int
    redis_claimed: int | None  # None: Redis had no stock for it
    store_claimed: int
    repaired: str | None = None

    @property
    def agrees(self) -> bool:
        return self.redis_claimed == self.store_claimed


def reconcile(session_factory: Callable[[], Session], client: Redis) -> list[Reconciliation]:
    """Drain the streams, then compare each armed campaign's Redis stock with the claims in the
    store. Redis behind the store (it lost writes in a crash) is re-armed from the store, so no
    slot is handed out twice; the store behind Redis after a full drain means stream entries
    were lost, and the stock is rebuilt from the store (the lost coupons return to stock)."""
    drain(session_factory, client)
    results: list[Reconciliation] = []
    for raw_id in sorted(int(c) for c in _members(client)):
        results.append(_reconcile_one(session_factory, client, raw_id))
    return results


def _reconcile_one(
    session_factory: Callable[[], Session], client: Redis, campaign_id: int
) -> Reconciliation:
    session = session_factory()
    try:
        campaign = session.get(CouponCampaign, campaign_id)
        if campaign is None:  # deleted (or a rolled-back test's campaign): forget it
            client.srem(ACTIVE_KEY, campaign_id)
            return Reconciliation(campaign_id, None, 0, repaired="forgotten")
        store_claimed = campaign.quantity - campaign.remaining
        stock = client.get(key(campaign_id, "stock"))
        redis_claimed = None if stock is None else campaign.quantity - int(stock)
        result = Reconciliation(campaign_id, redis_claimed, store_claimed)
        if not result.agrees:
            log.warning(
                "coupon campaign %s: Redis says %s claimed, the store %s; rebuilt from the store",
                campaign_id,
                redis_claimed,
                store_claimed,
            )
            for part in ("stock", "taken"):
                client.delete(key(campaign_id, part))
            arm(session, client, campaign)
            result.repaired = "rebuilt-from-store"
        session.commit()
        return result
    finally:
        session.close()


def forget(client: Redis, campaign_id: int) -> None:
    client.delete(*_keys(campaign_id), fans_key(campaign_id))
    client.srem(ACTIVE_KEY, campaign_id)
