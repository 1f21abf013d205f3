"""The command line, run as real processes: ask, the no-config demo, config errors, serve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.blockkit import assert_valid_message
from tests.conftest import bot_env, free_port
from tests.fakes.nexar import FakeNexar
from tests.fakes.slack import FakeSlack
from tests.serve import ServeProcess

ROOT = Path(__file__).resolve().parents[1]


def run_bot(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=full, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_ask_json_with_no_configuration(tmp_path: Path) -> None:
    out = run_bot(["ask", "--json", "AD7685ARM x100"], {}, tmp_path)
    assert out.returncode == 0, out.stderr
    message = json.loads(out.stdout)
    assert_valid_message(message)
    assert message["blocks"][0]["text"]["text"] == "AD7685ARM — Analog Devices"
    assert "sample" in message["text"].lower()
    assert "Sample data" in json.dumps(message["blocks"])


def test_ask_with_alternates_lists_the_sample_catalogs_similar_parts(tmp_path: Path) -> None:
    out = run_bot(["ask", "--json", "AD7685ARM x100 --alternates"], {}, tmp_path)
    assert out.returncode == 0, out.stderr
    message = json.loads(out.stdout)
    assert_valid_message(message)
    body = json.dumps(message["blocks"])
    assert "the best 2 of 2 similar parts" in body and "AD7685BRMZ" in body


def test_ask_prints_readably_for_a_terminal(tmp_path: Path) -> None:
    out = run_bot(["ask", "LM358DR x100, NE555DR x50"], {}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Price check: 2 parts" in out.stdout and "Total:" in out.stdout
    assert "{" not in out.stdout and "<http" not in out.stdout


def test_run_without_slack_answers_a_sample_and_explains_setup(tmp_path: Path) -> None:
    out = run_bot([], {}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "AD7685ARM — Analog Devices" in out.stdout
    assert "manifest.yml" in out.stdout and "SLACK_BOT_TOKEN" in out.stdout and "NEXAR_CLIENT_ID" in out.stdout


def test_bad_configuration_lists_every_problem_without_secrets(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "not-a-token-SECRET123",
        "PARTBOT_USER_DAILY_PARTS": "lots",
        "NEXAR_CLIENT_ID": "abc",
        "PORT": "99999",
    }
    out = run_bot(["serve"], env, tmp_path)
    assert out.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "PARTBOT_USER_DAILY_PARTS", "NEXAR_CLIENT_SECRET", "PORT"):
        assert name in out.stderr
    assert "SECRET123" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


def test_serve_needs_slack_credentials(tmp_path: Path) -> None:
    out = run_bot(["serve"], {}, tmp_path)
    assert out.returncode == 2
    assert "SLACK_BOT_TOKEN" in out.stderr and "SLACK_SIGNING_SECRET" in out.stderr
    assert "Traceback" not in out.stderr


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PARTBOT_USER_DAILY_PARTS=7\n")
    out = run_bot(["ask", "usage"], {}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "0 of 7 matched parts used" in out.stdout


# --- the production server, as a real process ----------------------------------------------


@pytest.fixture
def processes() -> Iterator[list[ServeProcess]]:
    procs: list[ServeProcess] = []
    yield procs
    for p in procs:
        p.kill()


def responses(slack: FakeSlack, name: str) -> list[dict[str, object]]:
    return [c.args for c in slack.calls_to("response_url") if c.path.endswith("/" + name)]


def test_killed_server_restarts_with_quota_and_cache(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, processes: list[ServeProcess]
) -> None:
    env = bot_env(tmp_path, fake_nexar, fake_slack)
    first = ServeProcess(env, tmp_path)
    processes.append(first)
    assert first.command("LM358DR x100, NE555DR", fake_slack, "a").status_code == 200
    fake_slack.wait_for("response_url", 1)
    first.kill()  # kill -9: no clean shutdown
    second = ServeProcess(env, tmp_path)
    processes.append(second)
    usage = second.command("usage", fake_slack, "b").json()
    assert "2 of 25 matched parts used" in json.dumps(usage)
    second.command("NE555DR x10", fake_slack, "c")
    fake_slack.wait_for("response_url", 2)
    assert len(fake_nexar.requests) == 1, "the answer cached before the crash is reused"
    assert "cost 0 matched parts" in json.dumps(responses(fake_slack, "c")[0])


def test_two_processes_on_one_redis_share_cache_and_quota(
    tmp_path: Path, fake_nexar: FakeNexar, fake_slack: FakeSlack, redis_url: str, processes: list[ServeProcess]
) -> None:
    a = ServeProcess(bot_env(tmp_path / "a", fake_nexar, fake_slack, REDIS_URL=redis_url), tmp_path)
    processes.append(a)
    b = ServeProcess(bot_env(tmp_path / "b", fake_nexar, fake_slack, REDIS_URL=redis_url, PARTBOT_USER_DAILY_PARTS="2"), tmp_path)
    processes.append(b)
    a.command("AD7685ARM x250", fake_slack, "a1")
    fake_slack.wait_for("response_url", 1)
    b.command("AD7685ARM x10", fake_slack, "b1")
    fake_slack.wait_for("response_url", 2)
    assert len(fake_nexar.requests) == 1
    assert "cost 0 matched parts" in json.dumps(responses(fake_slack, "b1")[0])
    a.command("LM358DR", fake_slack, "a2")
    fake_slack.wait_for("response_url", 3)
    usage = b.command("usage", fake_slack, "b2").json()
    assert "2 of 2 matched parts used" in json.dumps(usage)
    b.command("NE555DR", fake_slack, "b3")
    fake_slack.wait_for("response_url", 4)
    assert "You have 0 matched parts left today" in json.dumps(responses(fake_slack, "b3")[0])
    assert len(fake_nexar.requests) == 2


def test_serve_with_a_rejected_token_stops_with_one_message(tmp_path: Path, fake_slack: FakeSlack) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-wrong-0000", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": fake_slack.api_url}
    out = run_bot(["serve", "--port", str(free_port())], env, tmp_path)
    assert out.returncode == 2
    assert "Slack did not accept SLACK_BOT_TOKEN (invalid_auth)" in out.stderr
    assert "Traceback" not in out.stderr and "xoxb-wrong-0000" not in out.stderr


def test_serve_reports_slack_and_other_problems_together(tmp_path: Path) -> None:
    out = run_bot(["serve"], {"PORT": "abc"}, tmp_path)
    assert out.returncode == 2
    for name in ("PORT", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        assert name in out.stderr


def test_an_unopenable_database_is_a_config_error(tmp_path: Path) -> None:
    out = run_bot(["ask", "NE555DR"], {"PARTBOT_DB": str(tmp_path / "missing" / "dir" / "x.sqlite3")}, tmp_path)
    assert out.returncode == 2
    assert "PARTBOT_DB" in out.stderr and "Traceback" not in out.stderr


def test_an_unreachable_redis_is_a_config_error(tmp_path: Path) -> None:
    out = run_bot(["ask", "NE555DR"], {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, tmp_path)
    assert out.returncode == 2
    assert "REDIS_URL" in out.stderr and "Traceback" not in out.stderr


def test_serve_with_a_malformed_token_key_stops_with_a_clear_error(tmp_path: Path) -> None:
    env = {
        "SLACK_CLIENT_ID": "1.2",
        "SLACK_CLIENT_SECRET": "oauth-secret-XYZ987",
        "SLACK_SIGNING_SECRET": "s",
        "PARTBOT_TOKEN_KEY": "not-a-fernet-key-KEY456",
    }
    out = run_bot(["serve"], env, tmp_path)
    assert out.returncode == 2 and "PARTBOT_TOKEN_KEY must be Fernet keys" in out.stderr
    assert "SLACK_BOT_TOKEN" not in out.stderr, "OAuth credentials stand in for a bot token"
    assert "KEY456" not in out.stderr + out.stdout and "XYZ987" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
