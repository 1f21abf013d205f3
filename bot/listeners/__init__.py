"""Slack listeners: the only code that reads Slack payloads. One `register` per feature."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, alternates, bom_budget, commands, direct, home, installs, mentions, shortcut, unfurls, watches
from bot.listeners.common import Deps


def register_listeners(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    mentions.register(app, deps)
    actions.register(app, deps)
    bom_budget.register(app, deps)
    alternates.register(app, deps)
    home.register(app, deps)
    unfurls.register(app, deps)
    direct.register(app, deps)
    shortcut.register(app, deps)
    watches.register(app, deps)
    installs.register(app, deps)
