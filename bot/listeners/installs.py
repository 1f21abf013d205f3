"""Uninstalls: `app_uninstalled` and `tokens_revoked` delete the workspace's tokens and data.

What is deleted: its installation (tokens), quotas, recent lookups, answers kept for
sharing, event claims and any other record filed under the workspace. The shared Nexar
answer cache stays: it holds part data only, nothing of the workspace's.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, log


def installed_workspace(context: BoltContext) -> str:
    """The key of what was installed: the org itself for an org-wide install."""
    return Workspace(None if context.is_enterprise_install else context.team_id, context.enterprise_id).key


def forget(deps: Deps, workspace: str) -> None:
    deps.store.forget_workspace(workspace)
    log.info("workspace %s uninstalled partbot or revoked its token: its tokens and data are deleted", workspace)


def forget_users(deps: Deps, workspace: str, users: list[str]) -> None:
    for user in users:
        deps.store.delete_installation(workspace, user)
    log.info("deleted %d revoked user token(s) of workspace %s", len(users), workspace)


def register(app: App, deps: Deps) -> None:
    @app.event("app_uninstalled")
    def on_uninstalled(context: BoltContext) -> None:
        workspace = installed_workspace(context)
        deps.submit(lambda: forget(deps, workspace))

    @app.event("tokens_revoked")
    def on_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        tokens = event.get("tokens") or {}
        workspace = installed_workspace(context)
        if tokens.get("bot"):
            deps.submit(lambda: forget(deps, workspace))
        elif tokens.get("oauth"):
            users = [str(u) for u in tokens["oauth"]]
            deps.submit(lambda: forget_users(deps, workspace, users))
