"""``siyu outreach``: the check from a shell (exit code 1 on a blocking finding), and the
follow-up and playbook runs."""

from __future__ import annotations

import json

from tests.test_cli import siyu  # noqa: F401 - the fixture: a real process on its own file


def test_check_follow_up_and_playbooks(siyu) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assert siyu("workspace", "create", "lulu", "--name", "小鹿直播间").returncode == 0
    refused = siyu("outreach", "check", "亲亲，全网最低价", "--workspace", "lulu", "--json")
    assert refused.returncode == 1, refused.stderr
    assert [f["term"] for f in json.loads(refused.stdout)["findings"]] == ["亲亲", "全网最低价"]
    fine = siyu("outreach", "check", "今晚八点见", "--workspace", "lulu")
    assert (fine.returncode, fine.stdout.strip()) == (0, "ok")
    followed = siyu("outreach", "follow-up", "--json")
    assert json.loads(followed.stdout) == {"broadcasts": 0}
    ran = siyu("outreach", "run-playbooks", "--json")
    assert json.loads(ran.stdout) == {"enrolled": 0, "worked": 0}
    missing = siyu("outreach", "show", "99", "--workspace", "lulu")
    assert missing.returncode == 1
