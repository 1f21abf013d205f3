"""Link unfurls: a shared link to a part page (Octopart, Digi-Key, Mouser) shows the part.

`link_shared` → `chat.unfurl`. Billed like a lookup to the poster, free from the cache; a
link still being typed (`source: composer`) only from the cache. Over quota, or Nexar down
or at its part limit: the part's last stored answer (up to `PARTBOT_STALE_MAX_AGE` old),
marked stale with its age and why, billed nothing. No match, nothing stored, or an error:
no unfurl, and nothing said in the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk.errors import SlackApiError

from bot.domain.links import PartLink, part_link
from bot.domain.workspace import Workspace
from bot.listeners.common import Deps, log, once_per_event
from bot.messages.unfurl import render_unfurl
from bot.service.links import linked_part

MAX_LINKS = 5
"""Parts unfurled per message at most (each may cost its poster one matched part)."""


@dataclass(frozen=True)
class Shared:
    """Where the links were shared, and who posted them (billed)."""

    team: str
    user: str
    channel: str
    ts: str
    unfurl_id: str
    source: str

    @property
    def composing(self) -> bool:
        return self.source == "composer"


def part_links(event: dict[str, Any]) -> list[PartLink]:
    """The distinct part links of the event, at most MAX_LINKS."""
    found: dict[str, PartLink] = {}
    for entry in event.get("links") or ():
        url = entry.get("url") if isinstance(entry, dict) else None
        link = part_link(url) if isinstance(url, str) else None
        if link is not None and link.url not in found:
            found[link.url] = link
    return list(found.values())[:MAX_LINKS]


def unfurl_links(deps: Deps, shared: Shared, links: list[PartLink]) -> None:
    unfurls: dict[str, dict[str, Any]] = {}
    for link in links:
        answer = linked_part(deps.service, shared.team, shared.user, link, cache_only=shared.composing)
        if answer is not None:
            unfurls[link.url] = render_unfurl(
                answer, now=deps.service.clock(), fresh_for=deps.settings.cache_ttl, sample=deps.service.source.is_sample
            )
    if not unfurls:
        log.info("no part to unfurl for %d link(s)", len(links))
        return
    try:
        if shared.unfurl_id and shared.source:  # names the link in the composer as well as in a message
            deps.client_for(shared.team).chat_unfurl(unfurl_id=shared.unfurl_id, source=shared.source, unfurls=unfurls)
        else:
            deps.client_for(shared.team).chat_unfurl(channel=shared.channel, ts=shared.ts, unfurls=unfurls)
    except SlackApiError as exc:
        log.warning("chat.unfurl failed: %s", exc.response.get("error"))


def register(app: App, deps: Deps) -> None:
    @app.event("link_shared")
    def on_link_shared(event: dict[str, Any], context: BoltContext, body: dict[str, Any]) -> None:
        links = part_links(event)
        if not links:
            return
        shared = Shared(
            team=Workspace(context.team_id or event.get("team"), context.enterprise_id).key,
            user=str(event.get("user") or ""),
            channel=str(event.get("channel") or ""),
            ts=str(event.get("message_ts") or ""),
            unfurl_id=str(event.get("unfurl_id") or ""),
            source=str(event.get("source") or ""),
        )
        # A failure is logged by the job pool; nothing is said in the channel (the link stays as written).
        deps.submit(lambda: unfurl_links(deps, shared, links), once=once_per_event(shared.team, body))
