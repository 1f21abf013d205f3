"""Many workspaces: each has its own quotas and recent lookups; the answer cache is shared."""

from __future__ import annotations

from urllib.parse import urlencode

from bot.domain.workspace import Workspace
from tests.conftest import BotServer
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack


def test_workspace_keys() -> None:
    assert Workspace("T1").key == "T1"
    assert Workspace("T1", "E1").key == "E1/T1"
    assert Workspace(None, "E1").key == "E1/-", "an org-wide install's org-level request"
    assert Workspace().key == "-"
    assert Workspace.of({"team_id": "T1", "enterprise_id": "E1"}) == Workspace("T1", "E1"), "a slash command or event"
    assert Workspace.of({"team_id": "T1", "enterprise_id": None}) == Workspace("T1")
    assert Workspace.of({"team": {"id": "T1"}, "enterprise": {"id": "E1"}}) == Workspace("T1", "E1"), "an interaction"
    assert Workspace.of({"team": {"id": "T1", "enterprise_id": "E1"}}) == Workspace("T1", "E1"), "a block action in an org"
    assert Workspace.of({"team": None, "enterprise": {"id": "E1"}, "user": {"id": "U1", "team_id": "T2"}}) == Workspace(
        "T2", "E1"
    )


def command(bot: BotServer, slack: FakeSlack, text: str, team: str, enterprise: str | None) -> str:
    """A signed /part command from `team` (of org `enterprise`); the ack's text."""
    fields = {"team_id": team, "user_id": "U123", "channel_id": "C1", "command": "/part", "text": text}
    fields["response_url"] = slack.response_url(f"r-{team}-{enterprise}-{text}")
    if enterprise:
        fields |= {"enterprise_id": enterprise, "is_enterprise_install": "false"}
    resp = bot._post(urlencode(fields).encode(), "application/x-www-form-urlencoded")
    assert resp.status_code == 200
    return resp.text


def test_each_workspace_of_an_org_has_its_own_quota_and_shares_the_cache(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack
) -> None:
    command(bot, fake_slack, "AD7685ARM x10", "T1", "E1")
    fake_slack.wait_for("response_url", 1)
    assert "1/25 matched parts today" in command(bot, fake_slack, "usage", "T1", "E1")
    assert "0/25 matched parts today" in command(bot, fake_slack, "usage", "T2", "E1"), "another workspace of the org"
    assert "0/25 matched parts today" in command(bot, fake_slack, "usage", "T1", None), "not the org's T1"
    command(bot, fake_slack, "AD7685ARM x99", "T2", "E1")
    fake_slack.wait_for("response_url", 2)
    assert fake_nexar.matched_parts_billed == 1, "the second workspace's answer came from the shared cache"
    assert "0/25 matched parts today" in command(bot, fake_slack, "usage", "T2", "E1"), "and cost it nothing"
