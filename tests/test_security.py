"""Security: secrets stay secret, admin views stay admin-only, BOM downloads stay on Slack,
and hostile input never reaches Nexar."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.logs import RedactSecrets, setup_logging
from bot.settings import ConfigError, Settings
from tests.conftest import BOT_TOKEN, NEXAR_SECRET, SIGNING_SECRET, BotServer, bot_env, mention
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack

SECRETS = (BOT_TOKEN, SIGNING_SECRET, NEXAR_SECRET)


def test_redaction_filter_blanks_secrets_in_messages_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "token %s leaked", (BOT_TOKEN,), None)
    try:
        raise RuntimeError(f"boom {NEXAR_SECRET}")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactSecrets(SECRETS).filter(record)
    assert BOT_TOKEN not in record.getMessage() and "[redacted]" in record.getMessage()
    assert record.exc_text is not None and NEXAR_SECRET not in record.exc_text


def test_every_slack_token_is_blanked_by_its_shape() -> None:
    """With many workspaces, tokens are not settings: each workspace's, rotated or not."""
    tokens = ("xoxb-T1-1234567", "xoxe.xoxb-1-E1-T2-99", "xoxe-1-refresh-42", "xapp-1-A1-abcdef")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "tokens %s", (" ".join(tokens),), None)
    RedactSecrets(()).filter(record)
    assert not any(t in record.getMessage() for t in tokens) and record.getMessage().count("[redacted]") == 4
    kept = logging.LogRecord("x", logging.INFO, __file__, 1, "xoxo from the xoxb team", (), None)
    RedactSecrets(()).filter(kept)
    assert kept.getMessage() == "xoxo from the xoxb team"


def test_secrets_never_reach_logs_or_slack(
    bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging(bot.settings.secrets, logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        fake_nexar.fail_next("500", times=3)
        bot.command("AD7685ARM")
        fake_nexar.fail_next("graphql_error", message=f"bad token {NEXAR_SECRET}")
        bot.command("NE555DR")
        fake_nexar.expire_tokens()
        bot.command("LM358DR x10")
        bot.event(
            {"type": "app_mention", "user": "U1", "text": "<@UBOT> TPS54331DR", "ts": "3.1", "channel": "C1", "event_ts": "3.1"}
        )
        fake_slack.wait_for("response_url", 3)
        fake_slack.wait_for("chat.postMessage")
        logged = caplog.text + "".join(logging.Formatter().format(r) for r in caplog.records)
        sent = json.dumps([c.args for c in fake_slack.calls])
        for secret in SECRETS:
            assert secret not in logged
            assert secret not in sent
    finally:
        for handler in logging.getLogger().handlers:
            for f in list(handler.filters):
                if isinstance(f, RedactSecrets):
                    handler.removeFilter(f)
        logging.getLogger().setLevel(logging.WARNING)


def test_settings_repr_and_errors_hide_secrets() -> None:
    settings = Settings.from_mapping({"SLACK_BOT_TOKEN": BOT_TOKEN, "NEXAR_CLIENT_ID": "id", "NEXAR_CLIENT_SECRET": NEXAR_SECRET})
    assert BOT_TOKEN not in repr(settings) and NEXAR_SECRET not in repr(settings)
    with pytest.raises(ConfigError) as err:
        Settings.from_mapping({"SLACK_BOT_TOKEN": "xoxp-user-token-" + SIGNING_SECRET, "SLACK_APP_TOKEN": SIGNING_SECRET})
    assert SIGNING_SECRET not in str(err.value)
    assert "SLACK_BOT_TOKEN" in str(err.value) and "SLACK_APP_TOKEN" in str(err.value)


def test_usage_shows_top_spenders_to_admins_only(tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack) -> None:
    bot = BotServer(bot_env(tmp_path, fake_nexar, fake_slack, PARTBOT_ADMINS="UADMIN"), fake_slack)
    try:
        bot.command("AD7685ARM", user="USPENDER")
        fake_slack.wait_for("response_url")
        plain = json.dumps(bot.command("usage", user="UNOBODY").json())
        admin = json.dumps(bot.command("usage", user="UADMIN").json())
        assert "Top today" not in plain and "USPENDER" not in plain
        assert "Top today" in admin and "<@USPENDER> 1" in admin
    finally:
        bot.close()


def test_bom_is_only_downloaded_from_slacks_file_host(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    file = fake_slack.add_file("F9", "bom.csv", b"MPN,Qty\nNE555DR,5\n")
    evil = dict(file, url_private_download="http://evil.example/steal.csv", url_private="http://evil.example/steal.csv")
    event = mention("price", ts="4.1")
    event["files"] = [evil]
    bot.event(event, event_id="EvEvil")
    update = fake_slack.wait_for("chat.update")[-1]
    assert "not on Slack's file host" in json.dumps(update.args)
    assert fake_slack.file_fetches == 0 and fake_nexar.requests == []


def test_oversized_bom_is_refused_before_download(bot: BotServer, fake_slack: FakeSlack, fake_nexar: FakeNexar) -> None:
    file = fake_slack.add_file("F10", "huge.csv", b"MPN,Qty\n" + b"NE555DR,5\n" * 1_100_000)
    event = mention("", ts="5.1")
    event["files"] = [file]
    bot.event(event, event_id="EvHuge")
    update = fake_slack.wait_for("chat.update")[-1]
    assert "MB" in json.dumps(update.args)
    assert fake_slack.file_fetches == 0 and fake_nexar.requests == []


@pytest.mark.parametrize(
    "text",
    [
        '") { __schema { types { name } } }',
        "AD7685ARM){__schema{types{name}}}",
        "LM*",
        "x" * 100_000,
        "LM358\x00 x5",
        "NE555 x-5",
        "NE555 x99999999999",
        ", ".join(f"P{i}" for i in range(21)),
        "AD7685ARM --currency XYZ",
    ],
)
def test_hostile_input_never_reaches_nexar(bot: BotServer, fake_nexar: FakeNexar, fake_slack: FakeSlack, text: str) -> None:
    resp = bot.command(text)
    assert resp.status_code == 200
    body = resp.json()
    assert "could not read that" in body["text"]
    assert fake_nexar.requests == []
    assert "0 of 25 matched parts used" in json.dumps(bot.command("usage").json())
