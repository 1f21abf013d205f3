"""Logging set-up: secrets blanked out of every record, one line per message."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

SLACK_TOKEN = re.compile(r"\b(?:xox[a-z]|xapp)[.-][A-Za-z0-9.-]{6,}")
"""Any Slack token (bot, user, app-level, rotating `xoxe.xoxb-…`, refresh `xoxe-…`): with
many workspaces the tokens are not settings, so they are recognised by their shape."""


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 6)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return SLACK_TOKEN.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


class OneLine(logging.Formatter):
    """Escapes CR and LF in the message, so user text cannot forge log lines (a traceback
    appended after the message keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")


def setup_logging(secrets: Iterable[str], level: int = logging.INFO) -> None:
    """Log to stderr; every handler of the root logger redacts `secrets`."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(OneLine("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    root.setLevel(level)
    redact = RedactSecrets(secrets)
    for handler in root.handlers:
        handler.addFilter(redact)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
