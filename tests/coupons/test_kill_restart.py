"""Fault test: the app process is killed (SIGKILL) in the middle of a grab and restarted on the
same store. Every fan told "claimed" (201) keeps exactly one coupon, nobody goes over the limit
and the campaign never hands out more than its quantity.

A real ``siyu serve`` in embedded mode on a scratch SQLite file of its own, claimed through
``POST /api/v1/coupon-campaigns/{id}/claims`` from threads."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from siyu.config import get_settings
from siyu.coupons.models import CouponCampaign, CouponClaim
from siyu.kit.clock import utcnow
from tests import factories
from tests.concurrency import sqlite_store
from tests.coupons import make_campaign, make_fans

QUANTITY = 60
LIMIT = 2
FANS = 40  # 80 places for 60 coupons: the grab sells out
WORKERS = 8
KILL_AFTER = 15  # claims answered 201 before the process is killed
READY_SECONDS = 60

pytestmark = pytest.mark.skipif(
    get_settings().database_url.startswith("postgresql"),
    reason="runs its own SQLite file store; the SQLite pass covers it",
)


@dataclass(frozen=True)
class Answer:
    customer_id: int
    status: int | None  # None: the connection broke (the process died under the request)
    slug: str = ""
    claim_id: str = ""


@dataclass(frozen=True)
class Grab:
    store: sessionmaker[Session]
    env: dict[str, str]
    campaign_id: int
    fans: list[int]
    token: str


@pytest.fixture
def grab_store(tmp_path: Path) -> Iterator[Grab]:
    with sqlite_store(tmp_path) as store:
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
            _token, secret = factories.make_token(session, workspace)
            session.commit()
            campaign_id = campaign.id
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
        env.update(SIYU_DATABASE_URL=str(store.kw["bind"].url), SIYU_SCHEDULER_ENABLED="false")
        yield Grab(store, env, campaign_id, fans, secret)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "siyu.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"siyu serve exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"siyu serve was not ready in {READY_SECONDS} s")


class Claimers:
    """Threads claiming round-robin over the fans until the server goes away or the campaign
    answers "sold out"."""

    def __init__(self, grab: Grab, port: int) -> None:
        self.grab = grab
        self.url = f"http://127.0.0.1:{port}/api/v1/coupon-campaigns/{grab.campaign_id}/claims"
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.next_fan = 0

    def _fan(self) -> int:
        with self.lock:
            self.next_fan += 1
            return self.grab.fans[self.next_fan % len(self.grab.fans)]

    def _record(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def claimed(self) -> int:
        with self.lock:
            return sum(1 for a in self.answers if a.status == 201)

    def _work(self) -> None:
        headers = {"Authorization": f"Bearer {self.grab.token}"}
        with httpx.Client(headers=headers, timeout=20) as client:
            while True:
                fan = self._fan()
                try:
                    response = client.post(self.url, json={"customer_id": fan})
                except httpx.TransportError:
                    self._record(Answer(fan, None))
                    return
                body = response.json()
                slug = str(body.get("type", "")).removeprefix("urn:siyu:problem:")
                self._record(Answer(fan, response.status_code, slug, body.get("claim_id", "")))
                if slug == "coupon-sold-out":
                    return

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._work, daemon=True) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        return threads


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a claimer hung"


def test_killing_the_app_mid_grab_loses_no_claimed_coupon_and_oversells_nothing(
    grab_store: Grab,
) -> None:
    port = _free_port()
    process = _serve(grab_store.env, port)
    try:
        first = Claimers(grab_store, port)
        threads = first.run()
        deadline = time.monotonic() + 30
        while first.claimed() < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.005)
        assert first.claimed() >= KILL_AFTER, "the grab never got going"
        process.send_signal(signal.SIGKILL)  # mid-grab: requests are in flight
        process.wait(timeout=10)
        _join(threads)
        assert first.claimed() < QUANTITY, "the grab sold out before the kill"

        process = _serve(grab_store.env, port)
        second = Claimers(grab_store, port)
        _join(second.run())
    finally:
        process.kill()
        process.wait(timeout=10)

    answers = first.answers + second.answers
    unexpected = {(a.status, a.slug) for a in answers if a.status not in (None, 201, 409)}
    assert not unexpected
    assert {a.slug for a in answers if a.status == 409} <= {
        "coupon-sold-out",
        "coupon-already-claimed",
    }
    assert any(a.slug == "coupon-sold-out" for a in second.answers)
    _assert_store_agrees(grab_store, [a for a in answers if a.status == 201])


def _assert_store_agrees(grab: Grab, told_claimed: list[Answer]) -> None:
    with grab.store() as session:
        rows = list(
            session.scalars(select(CouponClaim).where(CouponClaim.campaign_id == grab.campaign_id))
        )
        remaining = session.get_one(CouponCampaign, grab.campaign_id).remaining
    stored = Counter(r.public_id for r in rows)
    owner = {r.public_id: r.customer_id for r in rows}
    # every "201" is in the store exactly once, for the fan it was claimed for
    for answer in told_claimed:
        assert stored[answer.claim_id] == 1, answer
        assert owner[answer.claim_id] == answer.customer_id
    assert len({a.claim_id for a in told_claimed}) == len(told_claimed)
    assert max(Counter(r.customer_id for r in rows).values()) <= LIMIT
    assert len(rows) == QUANTITY  # sold out, never more
    assert remaining == QUANTITY - len(rows)
    assert sorted(r.slot for r in rows) == list(range(1, QUANTITY + 1))
