"""The "Show alternates" button under an answer whose part is out of stock, NRND, EOL or
obsolete: the same as asking again with `--alternates`, billed to whoever presses it."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App

from bot.domain.commands import Lookup
from bot.domain.models import LineItem, Options
from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, log, outcome_message, respond
from bot.messages.alternates import ALTERNATES_ACTION
from bot.service.alternates import AlternatesFinder


def _asked(value: str) -> Lookup | None:
    try:
        data = json.loads(value)
        item = LineItem(str(data["mpn"]), int(data["qty"]), data.get("mfr") or None)
        options = Options(currency=str(data["currency"]), country=str(data["country"]), alternates=True)
    except (ValueError, KeyError, TypeError):
        return None
    return Lookup((item,), options)


def show_alternates(deps: Deps, user: str, value: str, workspace: str, response_url: str | None) -> None:
    try:
        _show_alternates(deps, user, value, workspace, response_url)
    except Exception:
        log.exception("listing alternates failed")
        respond(
            deps,
            response_url,
            text="Sorry, listing alternates failed. Please try again.",
            response_type="ephemeral",
            replace_original=False,
        )


def _show_alternates(deps: Deps, user: str, value: str, workspace: str, response_url: str | None) -> None:
    lookup = _asked(value)
    if lookup is None:
        respond(
            deps,
            response_url,
            text="That button is from an older partbot; ask again with `--alternates`.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    outcome = deps.service.lookup(workspace, user, lookup, record=False)
    outcome = AlternatesFinder(deps.service, deps.settings.alternates_reserve).add(workspace, user, outcome)
    message = outcome_message(deps, outcome, public=False, workspace=workspace)
    respond(deps, response_url, **message.to_dict(), response_type="ephemeral", replace_original=False)


def register(app: App, deps: Deps) -> None:
    @app.action(ALTERNATES_ACTION)
    def press(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        user = (body.get("user") or {}).get("id", "")
        value, workspace, response_url = str(action.get("value") or ""), Workspace.of(body).key, body.get("response_url")
        deps.submit(lambda: show_alternates(deps, user, value, workspace, response_url))
