"""The App Home tab: recent lookups, quota and a short how-to."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.listeners.common import Deps
from bot.render import render_home


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        team, user = context.team_id or "", event.get("user") or ""

        def job() -> None:
            view = render_home(
                deps.service.recent(team, user),
                deps.service.quota(team, user),
                sample=deps.service.source.is_sample,
            )
            client.views_publish(user_id=user, view=view)

        deps.submit(job, on_error=lambda: None)
