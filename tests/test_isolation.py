"""Workspaces are isolated: workspace A's callers see and change nothing of workspace B.

Workspace B holds one row of every resource. Every operation of the OpenAPI document is
called with A's token and B's ids (in the path and in the body), every console page with A's
operator session and B's ids, every fan page with A's fan cookie and B's ids. Each answer must
be "not found" (or a 422 naming the foreign field), never B's data, and B's rows must be the
same afterwards. A route the walk cannot fill — a path parameter or body field it has no id for,
a body the route refuses as malformed — fails the test: new routes are walked, not skipped.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.channels import service as channels
from siyu.connectors.wecom import service as wecom
from siyu.connectors.wecom import sync as wecom_sync
from siyu.connectors.wecom.connection import client_for, register_transport
from siyu.connectors.wecom.sync import SyncSummary
from siyu.coupons import service as coupons
from siyu.coupons import stream
from siyu.customers.fan_links import FAN_COOKIE, csrf_for_fan_cookie, sign_fan_link
from siyu.db import Base, database
from siyu.kit.clock import today
from siyu.kit.redis import get_redis
from siyu.orders.service import import_file
from siyu.workspace.models import Membership, Operator, Workspace
from siyu.workspace.roles import Role
from tests import factories
from tests.connectors.wecom import conftest as wecom_fixtures
from tests.factories import ACTOR
from tests.orders import export_files as ef
from tests.outreach.test_attachments import PNG

MARK = "隔离B"  # in every name and text of workspace B: must never show to A
NOW = datetime.now(UTC).replace(microsecond=0)

# Which seeded row a path parameter or body field names. Per path prefix where one name means
# two things (``rule_id``: an auto-reply rule or an earn rule).
FIELD_RESOURCES = {
    "customer_id": "fan",
    "customer_ids": "fan",
    "source_id": "fan2",
    "identity_id": "identity",
    "tag_id": "tag",
    "merge_id": "merge",
    "order_id": "order",
    "run_id": "import_run",
    "group_id": "group",
    "group_ids": "group",
    "membership_id": "membership",
    "family_id": "family",
    "slug": "live_code",
    "ticket_id": "ticket",
    "flag_id": "flag",
    "segment_id": "segment",
    "template_id": "coupon_template",
    "campaign_id": "campaign",
    "claim_id": "claim",
    "item_id": "mall_item",
    "redemption_id": "redemption",
    "code": "tier",
    "gift_id": "gift",
    "token_id": "token",
    "operator_id": "operator",
    "owner_operator_id": "operator",
    "operator_ids": "operator",
    "assignee_operator_id": "operator",
    "admin_id": "operator",
    "job_id": "job",
    "token": "share",
    "message_id": "message",
    "note_id": "note",
    "broadcast_id": "broadcast",
    "media_id": "outreach_media",
    "playbook_id": "playbook",
    "task_id": "outreach_task",
    "term_id": "content_term",
    "account_id": "content_account",
    "material_id": "material",
    "post_id": "post",
    "plan_id": "content_plan",
    "upload_id": "content_upload",
    "short_code": "post_link",
    "way_id": "wecom_live_code",
    "live_id": "live",
    "draw_id": "draw",
    "coupon_campaign_ids": "campaign",
    "inviter_id": "fan",
    "invitee_id": "fan2",
    "referral_id": "referral",
    "camp_id": "camp",
    "checkin_id": "checkin",
    "coupon_campaign_id": "campaign",
    # A public address names its workspace: the caller's own, so B's rows must not be found
    "workspace_slug": "my_workspace",
}
PATH_RESOURCES = {
    ("/api/v1/autoreply/rules/", "rule_id"): "autoreply_rule",
    ("/earn-rules/", "rule_id"): "earn_rule",
    ("/community/rules/", "rule_id"): "autoreply_rule",
}
# Body fields named like ids that hold a platform's own reference, not a Siyu row; and names
# that are references only in a path (a body's ``code`` or ``slug`` names a new row).
EXTERNAL_REFS = {"external_id", "buyer_id", "product_id", "msg_id", "code", "slug"}


@dataclass
class Seeded:
    mine: Workspace
    theirs: Workspace
    ids: dict[str, Any] = field(default_factory=dict)


def _ok(response: Any) -> Any:
    assert response.status_code < 300, (response.request.url, response.text)
    return response.json() if response.content else None


def _import_run(session: Session, theirs: Workspace, tmp_path: Path) -> int:
    header = ef.GENERIC
    rows = [header, ef.row(header, {"order_no": "B-9", "buyer_id": "b9", "paid_amount": "x"})]
    summary = import_file(session, theirs, ef.write_csv(tmp_path / "b.csv", rows), actor=ACTOR)
    session.commit()
    assert summary.run_id is not None
    return summary.run_id


def _seed_other_workspace(
    client: TestClient, session: Session, theirs: Workspace, tmp_path: Path
) -> dict[str, Any]:
    """One row of every resource in ``theirs``, made through its own API."""
    operator = factories.make_operator(
        session, theirs, email="b-admin@example.com", role=Role.owner
    )
    token, secret = factories.make_token(session, theirs, name=f"{MARK}-token")
    session.commit()
    b = {"Authorization": f"Bearer {secret}"}
    ids: dict[str, Any] = {"operator": operator.id, "token": token.id}

    def post(path: str, body: Any = None, **kwargs: Any) -> Any:
        return _ok(client.post(path, headers=b, json=body, **kwargs))

    orders = [
        {
            "platform": "taobao",
            "order_no": f"B-{n}",
            "buyer_id": f"b-buyer-{n}",
            "buyer_nick": f"{MARK}粉丝{n}",
            "status": "completed",
            "paid_at": (NOW - timedelta(days=3)).isoformat(),
            "paid_amount_fen": 9900,
            "completed_at": (NOW - timedelta(days=1)).isoformat(),
        }
        for n in (1, 2)
    ]
    post("/api/v1/orders:batch", {"orders": orders})
    fans = _ok(client.get("/api/v1/customers", headers=b))["items"]
    ids["fan"], ids["fan2"] = sorted(f["id"] for f in fans)
    ids["order"] = min(o["id"] for o in _ok(client.get("/api/v1/orders", headers=b))["items"])
    ids["import_run"] = _import_run(session, theirs, tmp_path)
    fan = ids["fan"]
    ids["tag"] = post(f"/api/v1/customers/{fan}/tags", {"group": MARK, "name": f"{MARK}标签"})["id"]
    ids["note"] = post(f"/api/v1/customers/{fan}/notes", {"body": f"{MARK}备注"})["id"]
    identity = {"platform": "douyin", "external_id": "b-douyin", "nickname": f"{MARK}抖音"}
    ids["identity"] = post(f"/api/v1/customers/{fan}/identities", identity)["id"]
    ids["merge"] = post(f"/api/v1/customers/{fan}/merge", {"source_id": ids["fan2"]})["id"]
    segment = {"name": f"{MARK}人群", "filter": "orders >= 1"}
    ids["segment"] = post("/api/v1/segments", segment)["id"]
    group = {
        "name": f"{MARK}群",
        "external_ref": "b-group",
        "owner_operator_id": operator.id,
        "operator_ids": [operator.id],
    }
    ids["group"] = post("/api/v1/groups", group)["id"]
    member = {"customer_id": fan, "nickname": f"{MARK}群友", "scene": "manual"}
    ids["membership"] = post(f"/api/v1/groups/{ids['group']}/members", member)["id"]
    family = {"name": f"{MARK}福利群", "slug": "b-fuli", "segment_id": ids["segment"]}
    ids["family"] = post("/api/v1/group-families", family)["id"]
    ids["live_code"] = "b-fuli"
    rule = {
        "name": f"{MARK}规则",
        "match": "any",
        "keywords": ["人工"],
        "reply": f"{MARK}回复",
        "kind": "handoff",
        "scope": {"group_ids": [ids["group"]]},
    }
    ids["autoreply_rule"] = post("/api/v1/autoreply/rules", rule)["id"]
    messages = [
        {
            "msg_id": f"b-{n}",
            "chat": "group",
            "group_ref": "b-group",
            "sender_ref": "b-fan",
            "sender_role": "fan",
            "sent_at": (NOW - timedelta(minutes=5 - n)).isoformat(),
            "text": text,
        }
        for n, text in enumerate(("我要人工", "加我微信 领福利"))
    ]
    post("/api/v1/messages:batch", {"messages": messages})
    ids["message"] = _ok(client.get("/api/v1/messages", headers=b))["items"][0]["id"]
    ids["ticket"] = _ok(client.get("/api/v1/tickets", headers=b))["items"][0]["id"]
    ids["flag"] = _ok(client.get("/api/v1/moderation/flags", headers=b))["items"][0]["id"]
    template = {
        "name": f"{MARK}券",
        "kind": "threshold",
        "threshold_cents": 9900,
        "discount_cents": 300,
        "valid_days": 7,
    }
    ids["coupon_template"] = post("/api/v1/coupon-templates", template)["id"]
    campaign = {
        "template_id": ids["coupon_template"],
        "channel": "grab",
        "quantity": 5,
        "name": f"{MARK}抢券",
        "starts_at": (NOW - timedelta(minutes=1)).isoformat(),
    }
    ids["campaign"] = post("/api/v1/coupon-campaigns", campaign)["id"]
    ids["claim"] = post(f"/api/v1/coupon-campaigns/{ids['campaign']}/claims", {"customer_id": fan})[
        "claim_id"
    ]
    redis = get_redis()
    if redis is not None:
        stream.drain(database.session, redis)
    shared = {**campaign, "channel": "share", "name": f"{MARK}分享券"}
    share_campaign = post("/api/v1/coupon-campaigns", shared)["id"]
    ids["share"] = coupons.record_share(session, theirs.id, share_campaign, fan).token
    session.commit()
    ids["tier"] = post(
        "/api/v1/points/tiers", {"code": "b-gold", "name": f"{MARK}金卡", "rank": 1}
    )["code"]
    ids["earn_rule"] = post(
        "/api/v1/points/earn-rules", {"name": f"{MARK}双倍", "multiplier_permille": 2000}
    )["id"]
    item = {"name": f"{MARK}礼品", "shelf": "essentials", "points_price": 10, "stock": 5}
    ids["mall_item"] = post("/api/v1/mall/items", item)["id"]
    adjustment = {"customer_id": fan, "points": 100, "reason": MARK, "idempotency_key": "b-seed"}
    post("/api/v1/points/adjustments", adjustment)
    redemption = {
        "customer_id": fan,
        "item_id": ids["mall_item"],
        "idempotency_key": "b-r",
        "address": f"{MARK}地址",
    }
    ids["redemption"] = post("/api/v1/mall/redemptions", redemption)["id"]
    gift = {
        "operator_id": operator.id,
        "customer_id": fan,
        "description": f"{MARK}礼物",
        "reason": MARK,
    }
    ids["gift"] = post("/api/v1/points/gifts", gift)["id"]
    ids.update(_seed_outreach(client, session, theirs, b, ids))
    live = {
        "title": f"{MARK}直播",
        "platform": "douyin",
        "starts_at": (NOW - timedelta(hours=3)).isoformat(),
        "ends_at": (NOW - timedelta(hours=1)).isoformat(),
        "coupon_campaign_ids": [ids["campaign"]],
    }
    ids["live"] = post("/api/v1/lives", live)["id"]
    share_link = post(f"/api/v1/lives/{ids['live']}/share-links", {"customer_id": fan})
    client.get(f"/s/{share_link['code']}", follow_redirects=False)
    client.cookies.clear()
    post(f"/api/v1/lives/{ids['live']}/reservations", {"customer_id": fan})
    draw = {"name": f"{MARK}抽奖", "pool": "reservers", "winners": 1}
    ids["draw"] = post(f"/api/v1/lives/{ids['live']}/draws", draw)["id"]
    post(f"/api/v1/draws/{ids['draw']}/run")
    ids["referral"] = post("/api/v1/referrals", {"inviter_id": fan, "invitee_id": ids["fan2"]})[
        "id"
    ]
    camp = {
        "group_id": ids["group"],
        "title": f"{MARK}打卡",
        "starts_on": today("Asia/Shanghai").isoformat(),
        "tasks": [f"{MARK}任务"] * 7,
    }
    ids["camp"] = post("/api/v1/camps", camp)["id"]
    checkin = {"customer_id": fan, "note": f"{MARK}打卡"}
    ids["checkin"] = post(f"/api/v1/camps/{ids['camp']}/check-ins", checkin)["id"]
    post("/api/v1/analytics/refresh", {})
    ids["job"] = _ok(client.get("/api/v1/jobs", headers=b))["items"][0]["id"]
    ids["wecom_live_code"] = _wecom_live_code(session, theirs)
    return ids | _seed_content(session, theirs, tmp_path)


def _seed_content(session: Session, theirs: Workspace, tmp_path: Path) -> dict[str, Any]:
    """Public channels: an account, a material, a post with its short link, a calendar entry
    and an import with a rejected row."""
    account = channels.add_account(session, theirs.id, "douyin", f"{MARK}账号", None)
    material = channels.create_material(
        session, theirs.id, channels.MaterialIn(title=f"{MARK}素材")
    )
    post = channels.add_post(
        session,
        theirs.id,
        channels.PostIn(platform="douyin", title=f"{MARK}作品", material_id=material.id),
    )
    channels.ensure_link(session, theirs.id, post.id)
    plan = channels.plan_post(
        session, theirs.id, platform="weibo", kind="live_announcement", day=NOW.date(),
        title=f"{MARK}预告",
    )  # fmt: skip
    export = tmp_path / "b-content.csv"
    export.write_text(f"作品ID,作品名称,发布时间,播放量\n1,{MARK}导入,2026-11-03 20:00,多\n")
    upload = channels.import_export(session, theirs, export, actor=ACTOR)
    session.commit()
    return {
        "content_account": account.id,
        "material": material.id,
        "post": post.id,
        "post_link": post.link_code,
        "content_plan": plan.id,
        "content_upload": upload.upload_id,
    }


def _seed_outreach(
    client: TestClient, session: Session, theirs: Workspace, b: dict[str, str], ids: dict[str, Any]
) -> dict[str, Any]:
    """A broadcast, a playbook with a task, and a word of workspace B."""
    from siyu.outreach import playbooks as outreach_playbooks
    from siyu.outreach import service as outreach

    broadcast = {
        "name": f"{MARK}群发",
        "segment_id": ids["segment"],
        "channel": "operator_task",
        "text": f"{MARK}上新",
        "attachment": {"type": "image", "image_base64": base64.b64encode(PNG).decode()},
    }
    found = {"broadcast": _ok(client.post("/api/v1/broadcasts", headers=b, json=broadcast))["id"]}
    shown = _ok(client.get(f"/api/v1/broadcasts/{found['broadcast']}", headers=b))
    found["outreach_media"] = shown["attachment"]["media_id"]
    playbook = outreach_playbooks.create_from_template(
        session, theirs.id, "new_contact", factories.ACTOR, name=f"{MARK}剧本"
    )
    outreach_playbooks.enrol(session, theirs.id, playbook, [(ids["fan"], NOW)])
    tasks = outreach_playbooks.tasks_today(session, theirs.id, None, NOW + timedelta(days=8))
    found["playbook"], found["outreach_task"] = playbook.id, tasks[0].id
    term = outreach.add_term(
        session,
        theirs.id,
        term=f"{MARK}词",
        category="ad_law",
        severity="warn",
        suggestion=None,
        actor=factories.ACTOR,
    )
    found["content_term"] = term.id
    session.commit()
    return found


def _wecom_live_code(session: Session, theirs: Workspace) -> int:
    """B connected to a fake WeCom corp, with one 「联系我」 live code."""
    fake = wecom_fixtures.corp()
    register_transport(wecom_fixtures.API_BASE, httpx.MockTransport(fake.handle))
    try:
        wecom_fixtures.connect(session, theirs, fake)
        wecom_sync.sync_staff(session, theirs.id, client_for(session, theirs.id), SyncSummary())
        way = wecom.create_contact_way(
            session, theirs.id, channel_kind="live_room", channel_ref=f"{MARK}直播间"
        )
        session.commit()
    finally:
        register_transport(wecom_fixtures.API_BASE, None)
    return way.id


@pytest.fixture
def seeded(client: TestClient, session: Session, tmp_path: Path) -> Seeded:
    mine = factories.make_workspace(session, name="我的工作区")
    theirs = factories.make_workspace(session, name=f"{MARK}工作区")
    session.commit()
    ids = _seed_other_workspace(client, session, theirs, tmp_path)
    return Seeded(mine, theirs, ids | {"my_workspace": mine.slug})


def _snapshot(session: Session, workspace_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the workspace, and its operators' accounts."""
    session.expire_all()
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        if "workspace_id" in table.c:
            query = select(table).where(table.c.workspace_id == workspace_id)
            rows[table.name] = sorted(tuple(r) for r in session.execute(query))
    members = select(Membership.operator_id).where(Membership.workspace_id == workspace_id)
    operators = select(Operator.__table__).where(Operator.id.in_(members))
    rows["operators"] = sorted(tuple(r) for r in session.execute(operators))
    return rows


def _resource(path: str, name: str) -> str:
    for (prefix, param), resource in PATH_RESOURCES.items():
        if param == name and prefix in path:
            return resource
    if name not in FIELD_RESOURCES:
        raise AssertionError(f"the walk has no id for {{{name}}} in {path}: add it to the seed")
    return FIELD_RESOURCES[name]


def _fill_path(path: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: str(ids[_resource(path, m.group(1))]), path)


# --- request bodies from the OpenAPI document ---------------------------------------------


class BodyMaker:
    """A plausible body for an operation: required fields with valid values, and every field
    that carries an id set to workspace B's row."""

    def __init__(self, spec: dict[str, Any], path: str, ids: dict[str, Any]) -> None:
        self.components = spec["components"]["schemas"]
        self.path = path
        self.ids = ids
        self.foreign: list[str] = []  # the body fields that name B's rows

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def value(self, schema: dict[str, Any], name: str = "") -> Any:
        schema = self.resolve(schema)
        if "anyOf" in schema:
            options = [s for s in schema["anyOf"] if self.resolve(s).get("type") != "null"]
            return self.value(options[0], name)
        if name in FIELD_RESOURCES and name not in EXTERNAL_REFS:
            self.foreign.append(name)
            found = self.ids[_resource(self.path, name)]
            return [found] if schema.get("type") == "array" else found
        if name.endswith(("_id", "_ids")) and name not in EXTERNAL_REFS:
            raise AssertionError(f"the walk has no id for body field {name} of {self.path}")
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object":
            return self.obj(schema)
        if kind == "array":
            count = max(schema.get("minItems", 1), 1)
            return [self.value(schema.get("items", {}), name) for _ in range(count)]
        if kind == "integer":
            return max(schema.get("minimum", 1), min(schema.get("maximum", 5), 5))
        if kind == "number":
            return 1
        if kind == "boolean":
            return False
        if schema.get("format") == "date-time":
            return NOW.isoformat()
        if schema.get("format") == "date":
            return NOW.date().isoformat()
        return "a" * max(schema.get("minLength", 1), 3)

    def obj(self, schema: dict[str, Any]) -> dict[str, Any]:
        required = set(schema.get("required", []))
        body = {}
        for name, prop in schema.get("properties", {}).items():
            carries_id = name in FIELD_RESOURCES and name not in EXTERNAL_REFS
            nested = self.resolve(prop).get("anyOf") or [prop]
            has_ids = any(self._mentions_ids(self.resolve(s)) for s in nested)
            if name in required or carries_id or has_ids:
                body[name] = self.value(prop, name)
        return body

    def _mentions_ids(self, schema: dict[str, Any]) -> bool:
        props = schema.get("properties", {})
        return any(n in FIELD_RESOURCES and n not in EXTERNAL_REFS for n in props)


def _body(
    spec: dict[str, Any], path: str, operation: dict[str, Any], ids: dict[str, Any]
) -> tuple[Any, list[str]]:
    request_body = operation.get("requestBody")
    if not request_body:
        return None, []
    content = request_body["content"]
    if "application/json" not in content:
        raise AssertionError(f"the walk cannot fill a {list(content)} body of {path}")
    maker = BodyMaker(spec, path, ids)
    body = maker.value(content["application/json"]["schema"])
    return body, maker.foreign


# --- the walks -------------------------------------------------------------------------


def _assert_not_theirs(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:500])
    assert MARK not in response.text, (what, response.text[:500])


def test_every_api_operation_refuses_another_workspaces_rows(
    app: Any, client: TestClient, session: Session, seeded: Seeded
) -> None:
    _token, secret = factories.make_token(session, seeded.mine, name="mine")
    session.commit()
    before = _snapshot(session, seeded.theirs.id)
    headers = {"Authorization": f"Bearer {secret}"}
    spec = app.openapi()
    walked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            concrete = _fill_path(path, seeded.ids)
            body, foreign = _body(spec, path, operation, seeded.ids)
            response = client.request(method.upper(), concrete, headers=headers, json=body)
            what = f"{method.upper()} {concrete} {body}"
            _assert_not_theirs(response, what)
            walked += 1
            if concrete == path and not foreign:
                continue  # nothing of B named: the answer only had to keep B out
            problem = response.json() if response.content else {}
            assert problem.get("type") != "urn:siyu:problem:validation-error", (
                f"the walk's body does not fit {what}: {response.text}"
            )
            expected = (404,) if concrete != path else (404, 422)
            assert response.status_code in expected, (what, response.status_code, response.text)
    assert walked > 100
    assert _snapshot(session, seeded.theirs.id) == before


# --- console and fan pages ------------------------------------------------------------------

PATH_LITERALS = {"decision": "approve", "kind": "png"}
FORM_VALUES = {  # valid values where "aaa" would be refused before the row is looked up
    "status": "open",
    "match": "any",
    "role": "operator",
    "points": "10",
    "cost": "1",
    "window_days": "7",
    "group_capacity": "10",
}
SKIPPED_PAGES = {
    ("POST", "/logout"): "ends the walking session",
    ("POST", "/login"): "signs in anew (no workspace data)",
    ("GET", "/h5/coupons/s/{token}"): "a fan's share link is public by design",
    ("GET", "/p/{short_code}"): "a post's short link is public by design",
    ("GET", "/h5/content/{short_code}"): "a post's landing page is public by design",
    ("GET", "/s/{code}"): "a fan's live share link is public by design",
    ("GET", "/r/{code}"): "a fan's invite link is public by design",
    ("GET", "/h5/o/{token}"): "a broadcast's link is public by design (tested in outreach)",
}


def _page_routes(routers: tuple[Any, ...]) -> list[tuple[str, APIRoute]]:
    found = []
    for router in routers:
        for route in router.routes:
            assert isinstance(route, APIRoute), route
            for method in sorted(route.methods):
                if (method, route.path) not in SKIPPED_PAGES:
                    found.append((method, route))
    assert found
    return found


def _fill_page_path(path: str, ids: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return PATH_LITERALS[name] if name in PATH_LITERALS else str(ids[_resource(path, name)])

    return re.sub(r"\{([^}]+)\}", fill, path)


def _form(route: APIRoute, ids: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Form fields (B's id in each that names a row, a value in each required one) and files."""
    data: dict[str, Any] = {}
    files: dict[str, Any] = {}
    foreign: list[str] = []
    for param in route.dependant.body_params:
        name, annotation = param.name, str(param.field_info.annotation)
        if "UploadFile" in annotation:
            files[name] = ("walk.csv", b"order_no\n", "text/csv")
        elif name in FIELD_RESOURCES and name not in EXTERNAL_REFS:
            data[name] = str(ids[_resource(route.path, name)])
            foreign.append(name)
        elif name == "workspace_id":
            foreign.append(name)  # filled by the caller: B's workspace
        elif name in FORM_VALUES:
            data[name] = FORM_VALUES[name]
        else:  # every field, so that a form's own checks pass and the lookup decides
            data[name] = "1" if "int" in annotation else "aaa"
    return data, files, foreign


def test_every_console_page_refuses_another_workspaces_rows(
    client: TestClient, session: Session, seeded: Seeded
) -> None:
    from siyu.app import CONSOLE_ROUTERS

    operator = factories.make_operator(session, seeded.mine, Role.owner, "a-owner@example.com")
    session.commit()
    assert factories.login(client, operator.email).status_code == 303
    csrf = factories.csrf_of(client)
    before = _snapshot(session, seeded.theirs.id)
    for method, route in _page_routes(CONSOLE_ROUTERS):
        concrete = _fill_page_path(route.path, seeded.ids)
        data, files, foreign = _form(route, seeded.ids)
        if "workspace_id" in foreign:
            data["workspace_id"] = str(seeded.theirs.id)
        response = client.request(
            method,
            concrete,
            data=data if method != "GET" else None,
            files=files or None,
            headers={"X-CSRF-Token": csrf} if method != "GET" else None,
            follow_redirects=False,
        )
        what = f"{method} {concrete} {data}"
        _assert_not_theirs(response, what)
        if concrete != route.path:
            assert response.status_code == 404, (what, response.status_code, response.text[:300])
        elif foreign:
            assert response.status_code in (403, 404, 422), (what, response.status_code)
    assert _snapshot(session, seeded.theirs.id) == before


def test_every_fan_page_refuses_another_workspaces_rows(
    client: TestClient, session: Session, seeded: Seeded
) -> None:
    from siyu.app import FAN_ROUTERS
    from tests.coupons import make_fans

    my_fan = make_fans(session, seeded.mine.id, 1, prefix="mine")[0]
    session.commit()
    opened = client.get(
        "/h5/open", params={"t": sign_fan_link(seeded.mine.id, my_fan)}, follow_redirects=False
    )
    assert opened.status_code == 303
    csrf = csrf_for_fan_cookie(client.cookies[FAN_COOKIE])
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf}
    before = _snapshot(session, seeded.theirs.id)
    for method, route in _page_routes(FAN_ROUTERS):
        concrete = _fill_page_path(route.path, seeded.ids)
        data, _files, foreign = _form(route, seeded.ids)
        if method != "GET":
            data["csrf_token"] = csrf
        response = client.request(
            method,
            concrete,
            data=data if method != "GET" else None,
            headers=headers,
            follow_redirects=False,
        )
        what = f"{method} {concrete} {data}"
        _assert_not_theirs(response, what)
        if concrete != route.path or foreign:
            assert response.status_code == 404, (what, response.status_code, response.text[:300])
    assert _snapshot(session, seeded.theirs.id) == before
