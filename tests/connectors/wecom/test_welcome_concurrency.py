"""Two deliveries of one add event handled at the same moment, on separate connections that
really commit: the welcome code is claimed once, so the fan is greeted once."""

from __future__ import annotations

import httpx

from siyu.connectors.wecom import service
from siyu.connectors.wecom.connection import register_transport
from tests import factories
from tests.concurrency import in_parallel, scratch_store
from tests.connectors.wecom.conftest import API_BASE, connect, corp


def test_parallel_deliveries_greet_once() -> None:
    fake = corp()
    register_transport(API_BASE, httpx.MockTransport(fake.handle))
    try:
        with scratch_store() as sessions:
            with sessions() as session:
                workspace = factories.make_workspace(session)
                connect(session, workspace, fake)
                session.commit()
                workspace_id = workspace.id
            fields = fake.add_contact("lin", "wmTwice", "双发粉")

            def deliver(_: int) -> str:
                with sessions() as session:
                    status = service.send_welcome(
                        session,
                        workspace_id,
                        welcome_code=fields["WelcomeCode"],
                        userid="lin",
                        external_userid="wmTwice",
                        state=None,
                    )
                    session.commit()
                    return status

            outcomes = in_parallel(4, 4, deliver)
    finally:
        register_transport(API_BASE, None)
    assert sorted(map(str, outcomes)) == ["duplicate", "duplicate", "duplicate", "sent"]
    assert len(fake.welcomes) == 1
