"""The "Price all N lines from the team budget" button under a BOM bigger than the sharer's
daily share: prices the lines kept when the offer was made (no second download)."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt import Ack, App

from bot.domain.bom.stashed import bom_from_json, options_from_json
from bot.domain.workspace import Workspace
from bot.listeners.bom import BOM_OFFER_PREFIX, in_thread, price_and_deliver
from bot.listeners.common import Deps, log, respond
from bot.messages.blocks import Message
from bot.messages.bom import render_bom_error, render_bom_progress
from bot.messages.bom_offer import BOM_BUDGET_ACTION, with_budget_note
from bot.service.quota import TeamBudget


def _tell(deps: Deps, response_url: str | None, text: str) -> None:
    respond(deps, response_url, text=text, response_type="ephemeral", replace_original=False)


def price_from_team_budget(
    deps: Deps, presser: str, key: str, workspace: str, channel: str, ts: str, response_url: str | None
) -> None:
    stash_key = f"{BOM_OFFER_PREFIX}{key}"
    kept = deps.store.unstash(workspace, stash_key) if key else None  # taken: a double click prices once
    if kept is None:
        _tell(deps, response_url, "That BOM was already priced, or its offer has expired. Share the file again.")
        return
    owner = str(kept["owner"])
    admins = deps.settings.admins
    if presser != owner and presser not in admins:
        left = int(float(kept.get("expires", 0)) - time.time())
        if left > 0:
            deps.store.stash(workspace, stash_key, kept, left)
        _tell(deps, response_url, f"Only <@{owner}>, who shared this BOM, or an admin can spend the team budget on it.")
        return
    name = str(kept["name"])

    lines_out, parts_out, priced = (int(n) for n in kept.get("left_out") or (0, 0, 0))

    def show(message: Message) -> None:
        message = with_budget_note(message, presser, (lines_out, parts_out, priced))
        deps.client_for(workspace).chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    # The sharer is billed; an admin's BOM, or one an admin chose to price, is not held to the monthly allowance.
    budget = TeamBudget(capped=owner not in admins and presser not in admins)
    try:
        bom, options = bom_from_json(kept["bom"]), options_from_json(kept["options"])
        parts = len({deps.service.key_of(line.item, options).cache_key() for line in bom.lines})
        show(render_bom_progress(name, 0, parts))
        to = in_thread(deps, workspace, str(kept["channel"]), str(kept["thread_ts"]), name, show)
        price_and_deliver(deps, to, workspace, owner, bom, options, name, team_budget=budget)
    except Exception:
        log.exception("pricing the BOM %s from the team budget failed", name)
        show(render_bom_error(name, "something went wrong on partbot's side; the admin can find the details in partbot's log"))


def register(app: App, deps: Deps) -> None:
    @app.action(BOM_BUDGET_ACTION)
    def press(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        presser = (body.get("user") or {}).get("id", "")
        container = body.get("container") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")
        key, workspace, response_url = str(action.get("value") or ""), Workspace.of(body).key, body.get("response_url")
        deps.submit(lambda: price_from_team_budget(deps, presser, key, workspace, channel, ts, response_url))
