"""slack_sdk's installation store and OAuth state store, kept in partbot's store.

Bolt's default stores are files on one machine's disk; these live in the store every
process shares (SQLite or Redis), so any web or worker process answers any workspace.
Records are filed under the `Workspace` key: `T1`, `E1/T1` for a workspace of an org,
`E1/-` for an org-wide install. Each record is the installation as JSON, encrypted with
Fernet when `PARTBOT_TOKEN_KEY` is set.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.domain.workspace import Workspace
from bot.ports import Installations, Stash

log = logging.getLogger(__name__)

LATEST = ""
"""The `user` under which a workspace's latest installation (its bot token) is filed."""
STATE_SPACE = "*oauth-state*"
"""The stash's workspace for OAuth states: not a Slack id, so no workspace's data."""


class SealError(Exception):
    """An installation record that cannot be read with the configured key (or without one)."""


class Sealer:
    """Encrypts records with Fernet when keys are given (several, comma-separated: the
    first encrypts, all decrypt, so a key can be rotated); otherwise stores them as they are."""

    def __init__(self, keys: str | None) -> None:
        parts = [k.strip() for k in (keys or "").split(",") if k.strip()]
        self.fernet = MultiFernet([Fernet(k.encode("ascii")) for k in parts]) if parts else None

    def seal(self, text: str) -> str:
        return self.fernet.encrypt(text.encode("utf-8")).decode("ascii") if self.fernet else text

    def open(self, text: str) -> str:
        if text.startswith("{"):
            return text  # written before a key was set; sealed on its next save
        if self.fernet is None:
            raise SealError("the installation is encrypted and PARTBOT_TOKEN_KEY is not set")
        try:
            return self.fernet.decrypt(text.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise SealError("PARTBOT_TOKEN_KEY does not decrypt the installation (was the key changed?)") from exc


def install_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None) -> str:
    """The workspace key an installation is filed under."""
    return Workspace(None if is_enterprise_install else team_id, enterprise_id).key


def _to_json(installation: Installation) -> str:
    data: dict[str, Any] = installation.to_dict_for_copying()
    for name, value in data.items():
        if isinstance(value, datetime):
            data[name] = value.timestamp() if name == "installed_at" else int(value.timestamp())
    return json.dumps(data, separators=(",", ":"))


class StoreInstallationStore(InstallationStore):
    """Bot installations per workspace (bot scopes only: user tokens are kept if Slack
    sends them, but partbot asks for none)."""

    def __init__(self, store: Installations, sealer: Sealer) -> None:
        self.store, self.sealer = store, sealer

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: Installation) -> None:
        key = install_key(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        record = self.sealer.seal(_to_json(installation))
        if installation.user_id:
            self.store.put_installation(key, installation.user_id, record)
        self.store.put_installation(key, LATEST, record)

    def save_bot(self, bot: Bot) -> None:
        """A rotated bot token: written into the workspace's latest installation."""
        latest = self.find_installation(
            enterprise_id=bot.enterprise_id, team_id=bot.team_id, is_enterprise_install=bot.is_enterprise_install
        )
        if latest is None:
            return
        latest.bot_token, latest.bot_refresh_token = bot.bot_token, bot.bot_refresh_token
        latest.bot_token_expires_at = bot.bot_token_expires_at
        self.save(latest)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """A workspace of an org that installed partbot org-wide is found under the org."""
        keys = [install_key(enterprise_id, team_id, is_enterprise_install or not team_id)]
        if enterprise_id and team_id and not is_enterprise_install:
            keys.append(install_key(enterprise_id, None, True))
        for key in keys:
            raw = self.store.installation(key, user_id or LATEST)
            if raw is None:
                continue
            try:
                return Installation(**json.loads(self.sealer.open(raw)))
            except SealError as exc:
                log.error("cannot read the installation of workspace %s: %s", key, exc)
                return None
        return None

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        found = self.find_installation(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)
        return found.to_bot() if found is not None and found.bot_token else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.store.delete_installation(install_key(enterprise_id, team_id, not team_id), None)

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None) -> None:
        self.store.delete_installation(install_key(enterprise_id, team_id, not team_id), user_id)


class StoreStateStore(OAuthStateStore):
    """OAuth states, each taken once within `expiration_seconds`. With a secret, a state
    carries an HMAC of its nonce: one not issued by partbot is refused before the store is asked."""

    def __init__(self, stash: Stash, secret: str | None, expiration_seconds: int = 600) -> None:
        self.stash, self.expiration_seconds = stash, expiration_seconds
        self.secret = secret.encode("utf-8") if secret else None

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, nonce: str) -> str:
        assert self.secret is not None
        return hmac.new(self.secret, nonce.encode("ascii"), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = secrets.token_urlsafe(24)
        self.stash.stash(STATE_SPACE, f"state:{nonce}", {"issued": time.time()}, self.expiration_seconds)
        return f"{nonce}.{self._sign(nonce)}" if self.secret else nonce

    def consume(self, state: str) -> bool:
        nonce = state or ""
        if self.secret is not None:
            nonce, _, mac = nonce.partition(".")
            if not nonce.isascii() or not hmac.compare_digest(mac, self._sign(nonce)):
                log.warning("refusing an OAuth state partbot did not sign")
                return False
        return bool(nonce) and self.stash.unstash(STATE_SPACE, f"state:{nonce}") is not None
