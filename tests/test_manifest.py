"""manifest.yml: valid under Slack's app-manifest schema, and declaring what the code listens for.

The schema (../shared/slack/manifest-schema, slackapi/manifest-schema v0.5.0) checks shapes
and limits; it does not know which events need which scopes, nor what the bot handles, so
those are checked here against the listeners the bot actually registers."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from slack_bolt import App
from slack_sdk import WebClient

from bot.app import build_core
from bot.jobs import Jobs
from bot.listeners import register_listeners
from bot.listeners.common import Deps
from bot.settings import Settings
from tests.shared import shared_dir

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_URL = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"

# Bot events → the bot scope Slack requires before it delivers them (docs.slack.dev, Events API
# reference); None: the event needs no scope. An event missing here fails the test: add it.
EVENT_SCOPES: dict[str, str | None] = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "app_uninstalled": None,
    "tokens_revoked": None,
    "link_shared": "links:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "file_shared": "files:read",
    "reaction_added": "reactions:read",
    "member_joined_channel": "channels:read",
}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    return data


def schema_dir() -> Path:
    path = shared_dir() / "slack" / "manifest-schema"
    if not (path / "schemas" / "manifest.schema.2.0.0.json").exists():
        pytest.skip(f"Slack's manifest schema is not at {path}")
    return path


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def validator(name: str) -> jsonschema.Draft7Validator:
    """A validator for schema file `name`, its $refs to Slack's published copies resolved locally."""
    root = schema_dir()
    registry: Registry[Any] = Registry()
    for path in sorted((root / "schemas").glob("*.json")):
        registry = registry.with_resource(SCHEMA_URL + path.name, Resource.from_contents(load(path)))
    schema = load(root / name)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, registry=registry)


def errors(v: jsonschema.Draft7Validator, document: dict[str, Any]) -> list[str]:
    """Every leaf error, as "path: message". Under the dispatcher's oneOf that includes the
    branches for other major versions ("'_metadata' is a required property")."""

    def leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
        if not error.context:
            yield error
        for sub in error.context or ():
            yield from leaves(sub)

    found = {
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}"
        for err in v.iter_errors(document)
        for e in leaves(err)
    }
    return sorted(found)


# --- Slack's schema -------------------------------------------------------------------------


def test_manifest_is_valid_under_the_2_0_0_schema() -> None:
    assert errors(validator("schemas/manifest.schema.2.0.0.json"), manifest()) == []


def test_manifest_is_valid_under_the_schema_slack_picks_for_it() -> None:
    """manifest.schema.json dispatches on _metadata.major_version (none: 1.0.0, which also
    rejects unknown top-level keys)."""
    assert errors(validator("manifest.schema.json"), manifest()) == []


def _set_command(m: dict[str, Any]) -> None:
    m["features"]["slash_commands"][0]["command"] = "part"


def _six_unfurl_domains(m: dict[str, Any]) -> None:
    m["features"]["unfurl_domains"] = [f"d{i}.example.com" for i in range(6)]


def _unfurl_url(m: dict[str, Any]) -> None:
    m["features"]["unfurl_domains"] = ["https://octopart.com"]


def _long_name(m: dict[str, Any]) -> None:
    m["display_information"]["name"] = "p" * 36


def _no_is_enabled(m: dict[str, Any]) -> None:
    del m["settings"]["interactivity"]["is_enabled"]


def _typo_key(m: dict[str, Any]) -> None:
    m["oauth_configs"] = {}


BROKEN = [
    (_set_command, "features/slash_commands/0/command: 'part' does not match"),
    (_six_unfurl_domains, "features/unfurl_domains: ["),  # at most 5
    (_unfurl_url, "features/unfurl_domains/0: 'https://octopart.com' does not match"),
    (_long_name, "display_information/name: 'ppp"),
    (_no_is_enabled, "settings/interactivity: 'is_enabled' is a required property"),
]
TYPO = (_typo_key, "(top): Additional properties are not allowed ('oauth_configs' was unexpected)")


@pytest.mark.parametrize(
    ("schema", "change", "expect"),
    [("manifest.schema.json", *case) for case in [*BROKEN, TYPO]]
    # 2.0.0 allows unknown top-level keys; 1.0.0, which Slack picks without _metadata, does not.
    + [("schemas/manifest.schema.2.0.0.json", *case) for case in BROKEN],
)
def test_the_schema_catches_a_broken_manifest(schema: str, change: Callable[[dict[str, Any]], None], expect: str) -> None:
    broken = copy.deepcopy(manifest())
    change(broken)
    found = errors(validator(schema), broken)
    assert any(e.startswith(expect) for e in found), found


# --- what the schema cannot know ------------------------------------------------------------


class RecordingApp(App):
    """A Bolt app that notes what each listener registers for."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-manifest-test", signing_secret="manifest-test", token_verification_enabled=False)
        self.registered: dict[str, list[Any]] = {}

    def _note(self, kind: str, key: Any) -> None:
        self.registered.setdefault(kind, []).append(key)

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("command", command)
        return super().command(command, *args, **kwargs)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("event", event)
        return super().event(event, *args, **kwargs)

    def message(self, keyword: Any = "", *args: Any, **kwargs: Any) -> Any:
        self._note("event", {"type": "message"})
        return super().message(keyword, *args, **kwargs)

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("action", constraints)
        return super().action(constraints, *args, **kwargs)

    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("shortcut", constraints)
        return super().shortcut(constraints, *args, **kwargs)

    def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self._note("view", constraints)
        return super().view(constraints, *args, **kwargs)


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[dict[str, list[Any]]]:
    settings = Settings.from_mapping({"PARTBOT_DB": str(tmp_path / "manifest.sqlite3")})
    core = build_core(settings)
    app = RecordingApp()
    with httpx.Client() as http:
        deps = Deps(
            settings=settings, service=core.service, store=core.store, client=WebClient(), jobs=Jobs(1), http=http
        )
        register_listeners(app, deps)
    core.close()
    yield app.registered


def event_name(event: Any) -> str:
    return str(event["type"] if isinstance(event, dict) else event)


def test_every_event_the_bot_listens_for_is_subscribed(registered: dict[str, list[Any]]) -> None:
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    for event in registered.get("event", []):
        name = event_name(event)
        if name == "message":
            channel_type = event.get("channel_type") if isinstance(event, dict) else None
            wanted = {f"message.{channel_type}"} if channel_type else {e for e in EVENT_SCOPES if e.startswith("message.")}
            assert subscribed & wanted, f"a message listener, but none of {sorted(wanted)} is in bot_events"
        else:
            assert name in subscribed, f"the bot listens for {name!r}; add it to settings.event_subscriptions.bot_events"


def test_every_subscribed_event_has_a_listener(registered: dict[str, list[Any]]) -> None:
    handled = {event_name(e) for e in registered.get("event", [])}
    for event in manifest()["settings"]["event_subscriptions"]["bot_events"]:
        assert event.split(".")[0] in handled, f"manifest subscribes to {event!r} but no listener handles it"


def test_every_subscribed_event_has_its_scope() -> None:
    m = manifest()
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    for event in m["settings"]["event_subscriptions"]["bot_events"]:
        assert event in EVENT_SCOPES, f"unknown bot event {event!r}: add the scope Slack requires for it to EVENT_SCOPES"
        scope = EVENT_SCOPES[event]
        assert scope is None or scope in scopes, f"bot event {event!r} needs the {scope!r} scope"


def test_commands_shortcuts_and_buttons_are_declared(registered: dict[str, list[Any]]) -> None:
    m = manifest()
    features, scopes = m["features"], set(m["oauth_config"]["scopes"]["bot"])
    declared_commands = {c["command"] for c in features.get("slash_commands", [])}
    assert set(registered.get("command", [])) == declared_commands
    declared_shortcuts = {s["callback_id"] for s in features.get("shortcuts", [])}
    for shortcut in registered.get("shortcut", []):
        callback_id = shortcut.get("callback_id") if isinstance(shortcut, dict) else shortcut
        assert callback_id in declared_shortcuts, f"shortcut {callback_id!r} is handled but not in features.shortcuts"
    if declared_commands or declared_shortcuts:
        assert "commands" in scopes, "slash commands and shortcuts need the commands scope"
    if registered.get("action") or registered.get("shortcut") or registered.get("view"):
        assert m["settings"]["interactivity"]["is_enabled"] is True


def test_unfurls_and_direct_messages_are_switched_on_where_subscribed() -> None:
    m = manifest()
    features, scopes = m["features"], set(m["oauth_config"]["scopes"]["bot"])
    events = set(m["settings"]["event_subscriptions"]["bot_events"])
    if features.get("unfurl_domains") or "link_shared" in events:
        assert features.get("unfurl_domains"), "link_shared arrives only for features.unfurl_domains"
        assert "link_shared" in events and {"links:read", "links:write"} <= scopes, (
            "unfurling needs link_shared, links:read, links:write"
        )
    if "message.im" in events:
        home = features["app_home"]
        assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False, (
            "people can write to the bot only with the Messages tab on and writable"
        )


def test_the_manifest_is_the_one_the_readme_describes() -> None:
    m = manifest()
    urls = [c.get("url") for c in m["features"].get("slash_commands", [])]
    urls += [m["settings"]["event_subscriptions"].get("request_url"), m["settings"]["interactivity"].get("request_url")]
    assert all(u and u.endswith("/slack/events") for u in urls), "HTTP mode serves everything at /slack/events"


def test_an_oauth_install_asks_for_the_manifests_scopes() -> None:
    from bot.app import BOT_SCOPES

    assert sorted(BOT_SCOPES) == sorted(manifest()["oauth_config"]["scopes"]["bot"])
    assert all(u.endswith("/slack/oauth_redirect") for u in manifest()["oauth_config"]["redirect_urls"])
