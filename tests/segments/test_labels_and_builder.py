"""The segment language takes the labels operators see (both languages) as well as the codes,
refuses an unknown value with the allowed ones listed, and the form builder writes it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.analytics import builder
from siyu.analytics.refresh import refresh_workspace
from siyu.kit.errors import Unprocessable
from siyu.kit.i18n import using_locale
from siyu.segments import service
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories
from tests.analytics.store_data import AS_OF, seed_history


@pytest.fixture
def fans(session: Session, workspace: Workspace) -> dict[str, int]:
    ids = seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    return ids


@pytest.mark.parametrize(
    ("code", "labels"),
    [
        ('rfm_segment = "Champions"', ('rfm_segment = "冠军客户"', 'rfm_segment = "champions"')),
        (
            'lifecycle in ("sleeping", "lost")',
            ('lifecycle in ("沉睡", "已流失")', 'lifecycle in ("Sleeping", "Lost")'),
        ),
        ('platform = "douyin"', ('platform = "抖音"', 'platform = "Douyin"')),
        ('activity_level = "low"', ('activity_level = "低"',)),
    ],
)
def test_labels_match_the_same_fans_as_codes(
    session: Session, workspace: Workspace, fans: dict[str, int], code: str, labels: tuple[str, ...]
) -> None:
    expected = service.count_matching(session, workspace.id, code)
    assert expected > 0
    for text in labels:
        assert service.count_matching(session, workspace.id, text) == expected, text


def test_an_unknown_value_is_an_error_listing_the_allowed_ones(
    session: Session, workspace: Workspace
) -> None:
    with using_locale("zh_CN"), pytest.raises(Unprocessable) as refused:
        service.count_matching(session, workspace.id, 'rfm_segment = "冠军"')
    detail = refused.value.detail or ""
    assert '"冠军客户" (Champions)' in detail and '"冠军"' in detail
    assert refused.value.extra["position"] == 1
    with pytest.raises(Unprocessable):
        service.count_matching(session, workspace.id, 'platform in ("taobao", "tmall")')
    with pytest.raises(Unprocessable):
        service.count_matching(session, workspace.id, 'lifecycle = "asleep"')
    # Free-text fields stay free.
    assert service.count_matching(session, workspace.id, 'region = "火星"') == 0


def test_the_builder_writes_conditions_in_the_filter_language() -> None:
    orders = builder.describe("orders")
    assert builder.condition(orders, ">=", " 2 ") == "orders >= 2"
    segment = builder.describe("rfm_segment")
    assert segment.kind == "choice" and ("Champions", "Champions") in segment.choices
    assert builder.condition(segment, "=", "Can't Lose Them") == 'rfm_segment = "Can\'t Lose Them"'
    tag = builder.describe("tag", ['敏感"肌'])
    assert builder.condition(tag, "!=", '敏感"肌') == 'tag != "敏感\\"肌"'
    consent = builder.describe("consent")
    assert builder.condition(consent, "=", "true") == "consent = true"
    region = builder.describe("region")
    assert builder.append("orders >= 2", "or", builder.condition(region, "=", "上海")) == (
        'orders >= 2 or region = "上海"'
    )
    assert builder.append("", "and", "orders >= 2") == "orders >= 2"
    for field, op, value in (
        (orders, ">=", "two"),
        (orders, "~", "2"),
        (segment, "=", "Whales"),
        (segment, ">", "Champions"),
        (region, "=", "  "),
        (orders, ">=", "NaN"),
    ):
        with pytest.raises(builder.BuilderError):
            builder.condition(field, op, value)
    with pytest.raises(builder.BuilderError):
        builder.describe("password")


def test_the_builder_form_in_the_console(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    analyst = factories.make_operator(session, workspace, Role.analyst)
    session.commit()
    factories.login(client, analyst.email)
    page = client.get("/analytics/segments")
    assert page.status_code == 200 and 'name="b_field"' in page.text and "添加条件" in page.text
    assert "冠军客户" not in page.text  # the value list follows the field picked
    controls = client.get("/analytics/segments/builder", params={"b_field": "rfm_segment"})
    assert controls.status_code == 200 and "冠军客户" in controls.text
    assert 'value="Champions"' in controls.text
    csrf = factories.csrf_of(client, "/analytics/segments")
    added = client.post(
        "/analytics/segments/builder",
        data={
            "filter": "orders >= 2",
            "b_join": "and",
            "b_field": "rfm_segment",
            "b_op": "=",
            "b_value": "Champions",
            "csrf_token": csrf,
        },
    )
    assert added.status_code == 200
    assert "orders &gt;= 2 and rfm_segment = &#34;Champions&#34;" in added.text
    assert 'hx-trigger="input changed delay:350ms, load"' in added.text  # it counts again
    wrong = client.post(
        "/analytics/segments/builder",
        data={"filter": "", "b_field": "orders", "b_op": ">=", "b_value": "x", "csrf_token": csrf},
    )
    assert wrong.status_code == 200 and "请输入数字" in wrong.text
    count = client.post(
        "/analytics/segments/count",
        data={"filter": 'rfm_segment = "冠军"', "csrf_token": csrf},
    )
    assert "冠军客户" in count.text  # the preview lists what is allowed
