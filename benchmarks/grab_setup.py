"""What the grab benchmarks (``bench_grab``, ``bench_surge``) share: a scratch store with a
workspace, its fans, a live grab campaign and an API token, made in this process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class GrabScene:
    workspace_id: int
    campaign_id: int
    fans: list[int]
    token: str


def use_env(env: dict[str, str]) -> None:
    """Point this process at the benchmark's store (and Redis): settings, engine and clients
    are built again from ``env``."""
    for key in [k for k in os.environ if k.startswith("SIYU_")]:
        del os.environ[key]
    os.environ.update(env)
    from siyu.config import reset_settings_cache
    from siyu.db import database
    from siyu.kit.redis import reset_redis

    reset_settings_cache()
    reset_redis()
    database.reset()


def grab_scene(env: dict[str, str], slug: str, name: str, fans: int, coupons: int) -> GrabScene:
    """Migrate the store, then: a workspace, ``fans`` fans, a grab of ``coupons`` coupons that
    has started, and a token; in server mode the campaign is armed in Redis (what its creation
    job does)."""
    use_env(env)
    from siyu.coupons import service, stream
    from siyu.db import transaction
    from siyu.kit.clock import utcnow
    from siyu.kit.redis import get_redis
    from siyu.migrations import upgrade
    from siyu.workspace import service as workspaces
    from siyu.workspace.audit import Actor

    upgrade()
    actor = Actor("system", label="bench")
    with transaction() as session:
        workspace = workspaces.create_workspace(session, slug, name, actor)
        fan_ids = _fans(session, workspace.id, fans)
        template = service.create_template(
            session,
            workspace.id,
            service.TemplateDraft(
                name="满99减3",
                kind="threshold",
                threshold_fen=9900,
                discount_fen=300,
                valid_days=7,
            ),
            actor,
        )
        campaign = service.create_campaign(
            session,
            workspace.id,
            service.CampaignDraft(
                template_id=template.id,
                channel="grab",
                quantity=coupons,
                starts_at=utcnow() - timedelta(seconds=1),
            ),
            actor,
        )
        _token, secret = workspaces.create_token(session, workspace.id, "bench", actor)
        session.flush()
        client = get_redis()
        if client is not None:
            stream.arm(session, client, campaign)
        return GrabScene(workspace.id, campaign.id, fan_ids, secret)


def _fans(session: object, workspace_id: int, count: int) -> list[int]:
    from sqlalchemy.orm import Session

    from siyu.customers.identities import FanKey
    from siyu.customers.service import resolve_customers

    assert isinstance(session, Session)
    fans: list[int] = []
    for start in range(0, count, 5000):
        keys = [
            FanKey("douyin", f"fan{i}", None, nickname=f"粉丝{i}")
            for i in range(start, min(count, start + 5000))
        ]
        fans += [int(c or 0) for c in resolve_customers(session, workspace_id, keys).customer_ids]
    return fans
