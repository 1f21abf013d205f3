"""The "Share in channel" button: posts a stashed private answer publicly, no new lookup."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.domain.workspace import Workspace
from bot.listeners.common import SHARE_TTL, Deps, log, respond
from bot.messages.blocks import MAX_BLOCKS, SHARE_ACTION, context


def share_answer(deps: Deps, user: str, key: str, response_url: str | None, workspace: str) -> None:
    try:
        _share(deps, user, key, response_url, workspace)
    except Exception:
        log.exception("sharing an answer failed")
        respond(
            deps, response_url, text="Sorry, sharing failed. Please try again.", response_type="ephemeral", replace_original=False
        )


def _share(deps: Deps, user: str, key: str, response_url: str | None, workspace: str) -> None:
    stashed = deps.store.unstash(workspace, f"share:{key}") if key else None  # taken: a double click shares once
    if stashed is None:
        respond(
            deps,
            response_url,
            text="That answer was already shared, or is too old to share now. Run the command again with `--public`.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    blocks = [context(f":loudspeaker: Shared by <@{user}>"), *stashed["blocks"]][:MAX_BLOCKS]
    status, _ = respond(
        deps, response_url, text=stashed["text"], blocks=blocks, response_type="in_channel", replace_original=False
    )
    if status >= 400:
        log.warning("sharing failed: response_url answered HTTP %s", status)
        deps.store.stash(workspace, f"share:{key}", stashed, SHARE_TTL)  # let the user try again
        return
    respond(deps, response_url, delete_original=True)


def register(app: App, deps: Deps) -> None:
    @app.action(SHARE_ACTION)
    def share(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        user = (body.get("user") or {}).get("id", "")
        key = str(action.get("value") or "")
        workspace = Workspace.of(body).key
        response_url = body.get("response_url")
        deps.submit(lambda: share_answer(deps, user, key, response_url, workspace))
