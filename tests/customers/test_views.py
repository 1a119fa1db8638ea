"""The fan console as an operator uses it: list and search, the 360 page, and every change on it
(personal data, tags, notes, accounts, merges, erasure, export), with roles and CSRF."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.identities import FanKey
from siyu.orders import service as orders_service
from siyu.orders.schemas import ItemIn, OrderIn
from siyu.workspace.models import AuditEntry, Workspace
from siyu.workspace.roles import Role
from tests import factories

PHONE = "13800001111"
ADDRESS = "上海市徐汇区漕溪北路 88 号"


def _fan(
    session: Session,
    workspace: Workspace,
    platform: str = "taobao",
    buyer: str = "小鹿爱吃糖",
    phone: str | None = PHONE,
    **extra: str,
) -> int:
    key = FanKey(platform, buyer, phone, nickname=extra.pop("nickname", buyer), **extra)
    (customer_id,) = service.resolve_customers(session, workspace.id, [key]).customer_ids
    assert customer_id is not None
    session.commit()
    return customer_id


def _xiaolu(session: Session, workspace: Workspace) -> int:
    """A fan with personal data on file and two orders, one of them partly refunded."""
    customer_id = _fan(session, workspace, real_name="林小鹿", address=ADDRESS, region="上海")
    paid = datetime.now(UTC) - timedelta(days=20)
    orders_service.record_orders(
        session,
        workspace.id,
        [
            OrderIn(
                platform="taobao",
                order_no="3120000000001",
                buyer_id="小鹿爱吃糖",
                status="completed",
                paid_at=paid,
                paid_amount_fen=18900,
                items=[ItemIn(title="小棕瓶精华 30ml", quantity=1, unit_price_fen=18900)],
            ),
            OrderIn(
                platform="taobao",
                order_no="3120000000002",
                buyer_id="小鹿爱吃糖",
                status="completed",
                paid_at=paid + timedelta(days=3),
                paid_amount_fen=9900,
                refund_amount_fen=3000,
                items=[ItemIn(title="洗脸巾 3 包", quantity=3, unit_price_fen=3300)],
            ),
        ],
        factories.ACTOR,
    )
    session.commit()
    return customer_id


def _post(client: TestClient, path: str, csrf: str, **data: object) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def _audit(session: Session, workspace: Workspace, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.workspace_id == workspace.id, AuditEntry.action == action
            )
        )
    )


# --- the list ---------------------------------------------------------------------------


def test_list_searches_nickname_phone_and_identity(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    orange = _fan(session, workspace, "douyin", "dy_orange", "13900002222", nickname="橘子汽水")
    factories.sign_in(client, session, workspace, Role.analyst)

    page = client.get("/customers")
    assert page.status_code == 200
    assert "小鹿爱吃糖" in page.text and "橘子汽水" in page.text
    assert "138****1111" in page.text and PHONE not in page.text
    assert f'href="/customers/{xiaolu}"' in page.text
    # By name, linked, never by number.
    assert (
        f'<a class="fan-name" translate="no" href="/customers/{xiaolu}">小鹿爱吃糖</a>' in page.text
    )
    assert f"#{xiaolu}" not in page.text and f"#{orange}" not in page.text

    def found(**params: str) -> set[int]:
        text = client.get("/customers", params=params).text
        return {cid for cid in (xiaolu, orange) if f'href="/customers/{cid}"' in text}

    assert found(q="小鹿") == {xiaolu}
    assert found(q="dy_orange") == {orange}
    assert found(q="139 0000 2222") == {orange}  # a complete phone, however it is typed
    assert found(q="1390000") == set()  # never a partial phone
    assert found(q="taobao:小鹿爱吃糖") == {xiaolu}
    assert found(platform="douyin") == {orange}
    assert found(platform="nonsense") == {xiaolu, orange}  # unknown filters are ignored


def test_list_filters_by_tag_and_pages_with_a_cursor(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    keys = [FanKey("douyin", f"dy_{n:03d}", None, nickname=f"粉丝{n:03d}") for n in range(55)]
    ids = service.resolve_customers(session, workspace.id, keys).customer_ids
    tag = service.ensure_tag(session, workspace.id, "肤质", "干皮", factories.ACTOR)
    service.tag_customer(session, workspace.id, int(ids[7] or 0), tag.id, factories.ACTOR)
    session.commit()
    factories.sign_in(client, session, workspace)

    first = client.get("/customers")
    assert "55" in first.text  # the workspace's total
    assert "粉丝054" in first.text and "粉丝000" not in first.text
    next_url = first.text.split('class="button" href="', 1)[1].split('"', 1)[0]
    second = client.get(next_url.replace("&amp;", "&"))
    assert "粉丝000" in second.text and "粉丝054" not in second.text

    tagged = client.get("/customers", params={"tag": str(tag.id)})
    assert "粉丝007" in tagged.text and "粉丝008" not in tagged.text
    assert "干皮" in tagged.text


def test_list_reports_a_bad_cursor(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace)
    page = client.get("/customers", params={"cursor": "not-a-cursor"})
    assert page.status_code == 422 and 'class="alert error"' in page.text


# --- the 360 page -----------------------------------------------------------------------


def test_profile_is_masked_until_an_operator_reveals_it(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    csrf = factories.sign_in(client, session, workspace)

    page = client.get(f"/customers/{xiaolu}")
    assert page.status_code == 200
    for clear in (PHONE, "林小鹿", ADDRESS):
        assert clear not in page.text
    assert "138****1111" in page.text and "林**" in page.text
    assert "3120000000002" in page.text and "洗脸巾 3 包" in page.text
    assert "¥258.00" in page.text  # net paid: 189 + 99 - 30
    assert "¥30.00" in page.text  # the refund shows on its order

    revealed = client.post(
        f"/customers/{xiaolu}/pii", headers={"HX-Request": "true", "X-CSRF-Token": csrf}
    )
    assert revealed.status_code == 200
    assert PHONE in revealed.text and "林小鹿" in revealed.text and ADDRESS in revealed.text
    assert "<html" not in revealed.text  # a fragment for HTMX
    (entry,) = _audit(session, workspace, "customer.pii_read")
    assert entry.target_id == str(xiaolu) and entry.actor_type == "operator"

    plain = _post(client, f"/customers/{xiaolu}/pii", csrf)
    assert plain.status_code == 200 and "<html" in plain.text and PHONE in plain.text


def test_analysts_read_but_never_reveal_or_change(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    csrf = factories.sign_in(client, session, workspace, Role.analyst)

    page = client.get(f"/customers/{xiaolu}")
    assert page.status_code == 200 and "3120000000001" in page.text
    assert f"/customers/{xiaolu}/pii" not in page.text
    assert f"/customers/{xiaolu}/notes" not in page.text
    assert _post(client, f"/customers/{xiaolu}/pii", csrf).status_code == 403
    assert _post(client, f"/customers/{xiaolu}/notes", csrf, body="hi").status_code == 403
    assert _audit(session, workspace, "customer.pii_read") == []


def test_another_workspace_s_fan_is_not_found(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    elsewhere = factories.make_workspace(session)
    stranger = _fan(session, elsewhere)
    csrf = factories.sign_in(client, session, workspace)
    assert client.get(f"/customers/{stranger}").status_code == 404
    assert _post(client, f"/customers/{stranger}/pii", csrf).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/customers/{id}/pii",
        "/customers/{id}/tags",
        "/customers/{id}/tags/1/remove",
        "/customers/{id}/notes",
        "/customers/{id}/identities",
        "/customers/{id}/identities/1/split",
        "/customers/{id}/merge",
        "/customers/{id}/merges/1/undo",
        "/customers/{id}/export",
        "/customers/{id}/erase",
    ],
)
def test_every_change_needs_the_csrf_token(
    client: TestClient, session: Session, workspace: Workspace, path: str
) -> None:
    xiaolu = _xiaolu(session, workspace)
    factories.sign_in(client, session, workspace, Role.owner)
    response = client.post(path.format(id=xiaolu), data={"csrf_token": "forged"})
    assert response.status_code == 403


# --- tags and notes ---------------------------------------------------------------------


def test_tags_from_the_catalog_new_and_removed(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    existing = service.ensure_tag(session, workspace.id, "身份", "KOC", factories.ACTOR)
    session.commit()
    csrf = factories.sign_in(client, session, workspace)

    picked = _post(client, f"/customers/{xiaolu}/tags", csrf, tag_id=str(existing.id))
    assert picked.status_code == 303
    created = _post(client, f"/customers/{xiaolu}/tags", csrf, new_tag="肤质 ／ 敏感肌")
    assert created.status_code == 303
    assert [(g, t.name) for g, t in service.tags_of(session, workspace.id, xiaolu)] == [
        ("肤质", "敏感肌"),
        ("身份", "KOC"),
    ]

    page = client.get(f"/customers/{xiaolu}")
    assert "敏感肌" in page.text and "KOC" in page.text

    assert _post(client, f"/customers/{xiaolu}/tags/{existing.id}/remove", csrf).status_code == 303
    assert [t.name for _, t in service.tags_of(session, workspace.id, xiaolu)] == ["敏感肌"]


def test_a_refused_tag_keeps_what_was_typed(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    csrf = factories.sign_in(client, session, workspace)
    refused = _post(client, f"/customers/{xiaolu}/tags", csrf, new_tag="没有分组的标签")
    assert refused.status_code == 422
    assert 'class="alert error"' in refused.text
    assert 'value="没有分组的标签"' in refused.text
    assert _post(client, f"/customers/{xiaolu}/tags", csrf).status_code == 422


def test_notes_are_added_and_an_empty_one_is_refused(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    csrf = factories.sign_in(client, session, workspace)
    body = "喜欢小棕瓶，女儿 6 岁，下次直播提醒她看发夹"
    assert _post(client, f"/customers/{xiaolu}/notes", csrf, body=body).status_code == 303
    assert body in client.get(f"/customers/{xiaolu}").text

    refused = _post(client, f"/customers/{xiaolu}/notes", csrf, body="   ")
    assert refused.status_code == 422 and 'class="alert error"' in refused.text
    assert len(service.notes_of(session, workspace.id, xiaolu)) == 1


# --- identities, merge and split --------------------------------------------------------


def test_linking_a_taken_account_points_to_a_merge(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    orange = _fan(session, workspace, "douyin", "dy_orange", None, nickname="橘子汽水")
    csrf = factories.sign_in(client, session, workspace)

    linked = _post(
        client,
        f"/customers/{xiaolu}/identities",
        csrf,
        platform="xiaohongshu",
        external_id="xhs_5566",
        nickname="小鹿在红书",
    )
    assert linked.status_code == 303 and "notice=linked" in linked.headers["location"]
    assert "xhs_5566" in client.get(linked.headers["location"]).text

    taken = _post(
        client, f"/customers/{xiaolu}/identities", csrf, platform="douyin", external_id="dy_orange"
    )
    assert taken.status_code == 409
    assert f"/customers/{xiaolu}/merge?source={orange}" in taken.text
    assert 'value="dy_orange"' in taken.text  # nothing typed is lost


def test_merge_preview_confirm_and_undo(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    orange = _fan(session, workspace, "douyin", "dy_orange", None, nickname="橘子汽水")
    csrf = factories.sign_in(client, session, workspace)

    preview = client.get(f"/customers/{xiaolu}/merge", params={"source": "douyin:dy_orange"})
    assert preview.status_code == 200
    assert "橘子汽水" in preview.text and "小鹿爱吃糖" in preview.text
    assert f'name="source_id" value="{orange}"' in preview.text
    assert (
        f'<a class="fan-name" translate="no" href="/customers/{orange}">橘子汽水</a>'
        in preview.text
    )
    assert f"#{orange}" not in preview.text and f"#{xiaolu}" not in preview.text
    assert (
        client.get(f"/customers/{xiaolu}/merge", params={"source": str(xiaolu)}).status_code == 422
    )
    missing = client.get(f"/customers/{xiaolu}/merge", params={"source": "douyin:nobody"})
    assert missing.status_code == 404 and 'value="douyin:nobody"' in missing.text

    merged = _post(client, f"/customers/{xiaolu}/merge", csrf, source_id=str(orange))
    assert merged.status_code == 303
    profile = client.get(f"/customers/{xiaolu}").text
    assert "dy_orange" in profile and f"#{xiaolu}" not in profile
    assert (
        f'<a class="fan-name" translate="no" href="/customers/{orange}">橘子汽水</a>' in profile
    )  # merged in
    tombstone = client.get(f"/customers/{orange}")
    assert (
        f'href="/customers/{xiaolu}"' in tombstone.text and 'class="alert warn"' in tombstone.text
    )
    assert f"/customers/{orange}/notes" not in tombstone.text  # nothing to edit on a tombstone
    assert f'href="/customers/{orange}"' not in client.get("/customers").text

    again = _post(client, f"/customers/{xiaolu}/merge", csrf, source_id=str(orange))
    assert again.status_code == 409 and 'class="alert error"' in again.text

    (merge,) = service.merges_into(session, workspace.id, xiaolu)
    undone = _post(client, f"/customers/{xiaolu}/merges/{merge.id}/undo", csrf)
    assert undone.status_code == 303 and f"other={orange}" in undone.headers["location"]
    assert "dy_orange" in client.get(f"/customers/{orange}").text
    assert _post(client, f"/customers/{xiaolu}/merges/{merge.id}/undo", csrf).status_code == 409


def test_split_off_an_account_with_its_orders(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    douyin = service.link_identity(
        session, workspace.id, xiaolu, "douyin", "dy_xiaolu", factories.ACTOR
    )
    session.commit()
    csrf = factories.sign_in(client, session, workspace)
    assert f"/identities/{douyin.id}/split" in client.get(f"/customers/{xiaolu}").text

    split = _post(client, f"/customers/{xiaolu}/identities/{douyin.id}/split", csrf)
    assert split.status_code == 303
    fresh = int(split.headers["location"].split("other=", 1)[1].split("#", 1)[0])
    assert [i.external_id for i in service.identities_of(session, workspace.id, fresh)] == [
        "dy_xiaolu"
    ]
    page = client.get(f"/customers/{xiaolu}")
    assert "/split" not in page.text  # the only account left can't be split off
    last = service.identities_of(session, workspace.id, xiaolu)[0]
    refused = _post(client, f"/customers/{xiaolu}/identities/{last.id}/split", csrf)
    assert refused.status_code == 409


# --- export and erasure -----------------------------------------------------------------


def test_export_is_for_admins_and_audited(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    operator_csrf = factories.sign_in(client, session, workspace)
    assert _post(client, f"/customers/{xiaolu}/export", operator_csrf).status_code == 403
    assert f"/customers/{xiaolu}/export" not in client.get(f"/customers/{xiaolu}").text

    csrf = factories.sign_in(client, session, workspace, Role.admin)
    assert f"/customers/{xiaolu}/export" in client.get(f"/customers/{xiaolu}").text
    exported = _post(client, f"/customers/{xiaolu}/export", csrf)
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert "林小鹿".encode() in exported.content  # UTF-8, not \\u escapes
    data = json.loads(exported.content)
    assert data["customer"]["phone"] == PHONE
    assert [o["order_no"] for o in data["orders"]] == ["3120000000001", "3120000000002"]
    assert len(_audit(session, workspace, "customer.pii_read")) == 1


def test_erase_needs_an_admin_and_the_typed_number(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu = _xiaolu(session, workspace)
    operator_csrf = factories.sign_in(client, session, workspace)
    assert (
        _post(client, f"/customers/{xiaolu}/erase", operator_csrf, confirm=str(xiaolu)).status_code
        == 403
    )

    csrf = factories.sign_in(client, session, workspace, Role.admin)
    wrong = _post(client, f"/customers/{xiaolu}/erase", csrf, confirm="yes")
    assert wrong.status_code == 422 and 'class="alert error"' in wrong.text
    assert service.get_customer(session, workspace.id, xiaolu).erased_at is None

    erased = _post(client, f"/customers/{xiaolu}/erase", csrf, confirm=f"#{xiaolu}")
    assert erased.status_code == 303
    page = client.get(erased.headers["location"])
    assert "138****1111" not in page.text and "小鹿爱吃糖" not in page.text
    assert "3120000000001" in page.text  # the order stays, without its buyer
    assert f"/customers/{xiaolu}/erase" not in page.text
    assert len(_audit(session, workspace, "customer.erase")) == 1


def test_operator_records_and_withdraws_marketing_consent(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    (cid,) = service.resolve_customers(
        session, workspace.id, [FanKey("taobao", "tb_consent", None)]
    ).customer_ids
    operator = factories.make_operator(session, workspace, Role.operator)
    session.commit()
    factories.login(client, operator.email)
    page = client.get(f"/customers/{cid}")
    assert "记录营销授权" in page.text
    csrf = factories.csrf_of(client, f"/customers/{cid}")
    client.post(f"/customers/{cid}/consent", data={"marketing": "yes", "csrf_token": csrf})
    assert "撤回营销授权" in client.get(f"/customers/{cid}").text
    assert client.post(f"/customers/{cid}/consent", data={"marketing": "no"}).status_code == 403
