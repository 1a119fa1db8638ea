"""Console pages of check-in camps: the list, the create form, a camp with its board."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.engagement import service
from siyu.kit.clock import today
from siyu.workspace.models import Role, Workspace
from tests import factories
from tests.engagement.helpers import group_with_members


def test_create_a_camp_and_see_its_board(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    group_id, (fan,) = group_with_members(session, workspace.id, 1)
    operator = factories.make_operator(session, workspace, Role.operator)
    session.commit()
    assert factories.login(client, operator.email).status_code == 303
    csrf = factories.csrf_of(client, "/camps")
    form = {
        "csrf_token": csrf,
        "title": "二十一天护肤打卡",
        "group_id": str(group_id),
        "starts_on": today("Asia/Shanghai").isoformat(),
        "tasks": "\n".join(f"第{d}天：早晚护肤" for d in range(1, 22)),
        "rule": "cumulative",
        "required_days": "18",
        "reward_kind": "points",
        "reward_points": "100",
    }
    created = client.post("/camps", data=form, follow_redirects=False)
    assert created.status_code == 303
    camp_id = int(created.headers["location"].rsplit("/", 1)[1])
    photo = service.Photo(b"\x89PNG fake bytes", "image/png")
    row = service.check_in(
        session, workspace.id, camp_id, fan, note="敷了面膜", photo=photo, tz="Asia/Shanghai"
    )
    session.commit()
    image = client.get(f"/camps/checkins/{row.id}/photo")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert f"/camps/checkins/{row.id}/photo" in client.get("/camps").text
    page = client.get(f"/camps/{camp_id}")
    assert page.status_code == 200 and "二十一天护肤打卡" in page.text
    assert "敷了面膜" in page.text
    assert "二十一天护肤打卡" in client.get("/camps").text
    bad = client.post("/camps", data={**form, "required_days": "30"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert client.get("/camps/999999").status_code == 404
