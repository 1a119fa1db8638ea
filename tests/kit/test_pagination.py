from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from siyu.kit.errors import BadRequest
from siyu.kit.pagination import decode_cursor, encode_cursor
from siyu.workspace import audit
from siyu.workspace.audit import Actor
from siyu.workspace.models import Workspace


def test_cursor_pages_cover_every_row_once(session: Session, workspace: Workspace) -> None:
    actor = Actor("system", label="tests")
    for n in range(23):
        audit.record(session, actor, f"test.event{n}", workspace_id=workspace.id)
    session.flush()
    seen: list[int] = []
    cursor = None
    while True:
        page, cursor = audit.list_entries(
            session, workspace.id, action="test.", cursor=cursor, limit=10
        )
        seen += [entry.id for entry in page]
        if cursor is None:
            break
    assert len(seen) == 23 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_new_rows_do_not_shift_a_page(session: Session, workspace: Workspace) -> None:
    actor = Actor("system")
    for n in range(6):
        audit.record(session, actor, f"test.e{n}", workspace_id=workspace.id)
    session.flush()
    first, cursor = audit.list_entries(session, workspace.id, action="test.", limit=3)
    audit.record(session, actor, "test.late", workspace_id=workspace.id)
    session.flush()
    second, _ = audit.list_entries(session, workspace.id, action="test.", cursor=cursor, limit=3)
    assert {e.id for e in first}.isdisjoint({e.id for e in second})
    assert all(e.action != "test.late" for e in second)


@pytest.mark.parametrize("bad", ["not-base64!!", encode_cursor(["x"]), "e30"])
def test_bad_cursor_is_a_clear_problem(session: Session, workspace: Workspace, bad: str) -> None:
    with pytest.raises(BadRequest) as caught:
        audit.list_entries(session, workspace.id, cursor=bad)
    assert caught.value.slug == "invalid-cursor"


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor([42, "2026-11-11T00:00:00"])) == [42, "2026-11-11T00:00:00"]
