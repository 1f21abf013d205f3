"""A CSV, TSV or XLSX BOM shared with a mention: download, price in batches, answer in the thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.bom import MAX_BOM_BYTES, BomError, bom_rows_csv, for_boards, read_bom
from bot.domain.commands import Lookup
from bot.domain.models import Options
from bot.domain.outcomes import Answer
from bot.domain.parsing import parse_options, strip_mentions
from bot.domain.priced import price_rows, totals
from bot.domain.recent import RecentLookup
from bot.listeners.common import Deps, log
from bot.messages.blocks import Message
from bot.messages.bom import (
    render_bom_error,
    render_bom_progress,
    render_bom_summary,
    render_nothing_read,
    render_outcome_problem,
    upload_comment,
)

BOM_FILETYPES = {"csv", "tsv", "xlsx"}
PROGRESS_EVERY = 1.0


def resolve_file(client: WebClient, file: dict[str, Any]) -> dict[str, Any]:
    """The real file object for a Slack Connect stub (`file_access: check_file_info`, no
    name, type or URLs), from `files.info`; any other file as it is."""
    stub = file.get("file_access") == "check_file_info" or not (file.get("url_private_download") or file.get("url_private"))
    if not stub or not file.get("id"):
        return file
    try:
        info = client.files_info(file=str(file["id"])).get("file")
    except SlackApiError as exc:
        log.warning("files.info for a shared file failed: %s", exc.response.get("error"))
        return file
    return info if isinstance(info, dict) else file


def is_bom_file(file: dict[str, Any]) -> bool:
    return (file.get("filetype") or "").lower() in BOM_FILETYPES or str(file.get("name", "")).lower().endswith(
        (".csv", ".tsv", ".xlsx")
    )


def _download(deps: Deps, client: WebClient, file: dict[str, Any]) -> bytes | BomError:
    file = resolve_file(client, file)
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    host = urlparse(url).hostname or ""
    scheme = urlparse(url).scheme
    # The bot token travels with the request: HTTPS to Slack's file host only (plain HTTP for a loopback test host).
    if host not in deps.settings.slack_file_hosts or scheme != ("http" if host in ("127.0.0.1", "localhost") else "https"):
        log.warning("refusing to download a BOM from %r", host)
        return BomError("that file is not on Slack's file host, so I will not download it")
    if int(file.get("size") or 0) > MAX_BOM_BYTES:
        return BomError(
            f"that file is {int(file['size']) / 1_048_576:.1f} MB; partbot reads BOMs up to {MAX_BOM_BYTES // 1_048_576} MB"
        )
    return _fetch(url, client.token or "", float(deps.settings.bom_download_seconds))


def _fetch(url: str, token: str, deadline: float) -> bytes | BomError:
    """The file's bytes within `deadline` seconds overall: every read waits at most that
    long, and the download stops once the deadline has passed, so a host trickling bytes
    holds a job for at most twice the deadline."""
    headers = {"Authorization": f"Bearer {token}"}
    chunks: list[bytes] = []
    size = 0
    started = time.monotonic()
    too_slow = BomError(f"Slack's file host took longer than {deadline:g} s to send that file; please share it again")
    timeout = httpx.Timeout(min(20.0, deadline), connect=min(5.0, deadline))
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as http, http.stream("GET", url, headers=headers) as resp:
            if resp.status_code != 200:
                log.warning("BOM download answered HTTP %s", resp.status_code)
                return BomError("I could not download that file (does the app have the files:read scope?)")
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_BOM_BYTES:
                    return BomError(f"that file is over {MAX_BOM_BYTES // 1_048_576} MB; partbot reads BOMs up to that size")
                if time.monotonic() - started > deadline:
                    return too_slow
                chunks.append(chunk)
    except httpx.TimeoutException:
        log.warning("BOM download passed its %g s deadline", deadline)
        return too_slow
    except httpx.HTTPError as exc:
        log.warning("BOM download failed: %s", type(exc).__name__)
        return BomError("I could not download that file from Slack; please share it again")
    if time.monotonic() - started > deadline:
        return too_slow
    return b"".join(chunks)


def price_bom(deps: Deps, team: str, user: str, channel: str, thread_ts: str, file: dict[str, Any], text: str) -> None:
    """Answer in the thread: one message that shows progress and then the summary, plus the CSV."""
    client = deps.client_for(team)
    name = str(file.get("name") or "bom.csv")
    first = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **render_bom_progress(name, 0, 0).to_dict())
    ts = first.get("ts") or ""

    def show(message: Message) -> None:
        client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    try:
        _price(deps, client, show, team, user, channel, thread_ts, file, text, name)
    except Exception:
        log.exception("pricing the BOM %s failed", name)
        show(render_bom_error(name, "something went wrong on partbot's side; the admin can find the details in partbot's log"))


def _price(
    deps: Deps,
    client: WebClient,
    show: Callable[[Message], None],
    team: str,
    user: str,
    channel: str,
    thread_ts: str,
    file: dict[str, Any],
    text: str,
    name: str,
) -> None:
    data = _download(deps, client, file)
    read = read_bom(data) if isinstance(data, bytes) else data
    if isinstance(read, BomError):
        show(render_bom_error(name, read.message))
        return
    options: Options = parse_options(strip_mentions(text))
    bom = for_boards(read, options.boards)
    if not bom.lines:
        show(render_bom_error(name, render_nothing_read(bom)))
        return
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY and done < total:
            last[0] = now
            try:
                show(render_bom_progress(name, done, total))
            except Exception:
                log.warning("could not update the BOM progress message", exc_info=True)

    items = tuple(line.item for line in bom.lines)
    outcome = deps.service.lookup(team, user, Lookup(items, options), progress=progress, record=False)
    if not isinstance(outcome, Answer):
        show(render_outcome_problem(outcome, name))
        return
    summary = render_bom_summary(outcome, bom, name)
    show(summary)
    total, priced = totals(price_rows(outcome))
    deps.service.remember(team, user, RecentLookup(time.time(), bom=name, lines=len(items), priced=priced, total=total))
    priced_name = name.rsplit(".", 1)[0] + "-priced.csv"
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=bom_rows_csv(outcome, bom),
            filename=priced_name,
            title=f"Priced BOM: {name}",
            initial_comment=upload_comment(name),
        )
    except Exception:
        log.exception("could not upload the priced BOM")
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text="I priced the BOM but could not upload the CSV (does the app have the files:write scope?).",
        )
