"""A fan checks in from the phone page: CSRF, a photo upload, once a day."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.customers.fan_links import FAN_COOKIE, csrf_for_fan_cookie, sign_fan_link
from siyu.workspace.models import Workspace
from tests.engagement.helpers import TASKS, group_with_members, running_camp
from tests.referral.helpers import make_fan

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _fan_csrf(client: TestClient) -> str:
    return csrf_for_fan_cookie(client.cookies[FAN_COOKIE])


def test_fan_checks_in_with_a_photo(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    group_id, (fan, _other) = group_with_members(session, workspace.id, 2)
    camp = running_camp(session, workspace.id, group_id, day=3)
    session.commit()
    client.get("/h5/open", params={"t": sign_fan_link(workspace.id, fan)})
    page = client.get(f"/h5/camps/{camp.id}")
    assert page.status_code == 200 and TASKS[2] in page.text
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    url = f"/h5/camps/{camp.id}/check-in"
    forged = client.post(url, data={"note": "x", "csrf_token": "forged"})
    assert forged.status_code == 403
    done = client.post(
        url,
        data={"csrf_token": csrf, "note": "走了八千步"},
        files={"photo": ("walk.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = client.get(f"/h5/camps/{camp.id}")
    assert 'data-testid="done"' in after.text
    again = client.post(url, data={"csrf_token": csrf, "note": "再来"})
    assert again.status_code == 422 and 'data-testid="checkin-error"' in again.text
    assert camp.title in client.get("/h5/camps").text
    assert client.get("/h5/camps/999999").status_code == 404


def test_a_fan_outside_the_group_sees_the_board_but_cannot_check_in(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    group_id, _members = group_with_members(session, workspace.id, 1)
    outsider = make_fan(session, workspace.id).id
    camp = running_camp(session, workspace.id, group_id)
    session.commit()
    client.get("/h5/open", params={"t": sign_fan_link(workspace.id, outsider)})
    page = client.get(f"/h5/camps/{camp.id}")
    assert page.status_code == 200 and 'data-testid="members-only"' in page.text
    assert 'name="csrf_token"' not in page.text  # no form for an outsider
    refused = client.post(
        f"/h5/camps/{camp.id}/check-in",
        data={"csrf_token": _fan_csrf(client), "note": "我也想打卡"},
    )
    assert refused.status_code == 422 and 'data-testid="checkin-error"' in refused.text
