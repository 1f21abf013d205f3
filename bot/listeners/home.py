"""The App Home tab: recent lookups, quota and a short how-to."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, once_per_event
from bot.messages.home import render_home


def publish_home(deps: Deps, team: str, user: str) -> None:
    view = render_home(
        deps.service.recent(team, user),
        deps.service.quota(team, user),
        sample=deps.service.source.is_sample,
        support_url=deps.settings.support_url,
        cache_ttl=deps.settings.cache_ttl,
    )
    deps.client_for(team).views_publish(user_id=user, view=view)


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], context: BoltContext, body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        # An org-wide install's authorization names no team: the envelope's team_id is the workspace.
        team = Workspace(context.team_id or body.get("team_id"), context.enterprise_id).key
        user = event.get("user") or ""
        deps.submit(lambda: publish_home(deps, team, user), once=once_per_event(team, body))
