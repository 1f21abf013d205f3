"""Answers that need no Nexar lookup (help, usage, parse errors), for Slack and the command line."""

from __future__ import annotations

import logging
from collections.abc import Collection

from bot.domain.commands import Help, Invalid, Usage
from bot.messages.blocks import Message
from bot.messages.replies import render_help, render_invalid, render_usage
from bot.service.lookup import LookupService

log = logging.getLogger(__name__)


def quick_reply(
    service: LookupService,
    admins: Collection[str],
    command: Help | Usage | Invalid,
    team: str,
    user: str,
    name: str = "/part",
    *,
    support_url: str | None = None,
) -> Message:
    if isinstance(command, Help):
        return render_help(name, support_url=support_url)
    if isinstance(command, Invalid):
        return render_invalid(command)
    top = plan = None
    if user in admins:
        try:
            top, plan = service.top_spenders(team), service.plan_use()
        except Exception:
            log.exception("could not read the top spenders")
    return render_usage(service.quota(team, user), sample=service.source.is_sample, top=top, plan=plan)
