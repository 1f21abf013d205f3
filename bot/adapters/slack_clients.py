"""Each workspace's bot token, for Bolt's authorize and for background jobs alike.

Listeners get their workspace's client from Bolt's authorize; a job may run later, or in
the worker process, so it looks the token up again by the workspace key. Both go through
`InstalledTokens`, which rotates a token in the two hours before it expires: one process
at a time, under a lease in the shared store, because Slack revokes a refresh token once
it is used and a second process refreshing with it would fail.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache
from slack_bolt import BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.adapters.installations import StoreInstallationStore
from bot.domain.workspace import Workspace
from bot.ports import Leases, NotInstalled, StoreError

RECENT_AUTHORIZE = 60.0

log = logging.getLogger(__name__)

ROTATE_MINUTES = 120
"""Rotate a bot token this long before it expires (Bolt's default)."""
ROTATE_LEASE = 15.0
EXPIRED_WAIT = 5.0
"""How long a request whose token has already expired waits for another process's rotation."""


class InstalledTokens:
    """Each workspace's own bot token, from its installation."""

    def __init__(
        self,
        installations: StoreInstallationStore,
        make_client: Callable[[str], WebClient],
        rotator: TokenRotator,
        leases: Leases,
        *,
        rotate_minutes: int = ROTATE_MINUTES,
    ) -> None:
        self.installations, self.make_client, self.rotator = installations, make_client, rotator
        self.leases, self.rotate_minutes = leases, rotate_minutes
        self._lock = threading.Lock()

    def client_for(self, workspace: str) -> WebClient:
        return self.make_client(self.token_for(workspace))

    def token_for(self, workspace: str) -> str:
        """The workspace's bot token, rotated first if it expires soon; `NotInstalled` if none."""
        ws = Workspace.from_key(workspace)
        installation = self._find(ws)
        if installation is None or not installation.bot_token:
            raise NotInstalled(workspace)
        if self._expires_within(installation, self.rotate_minutes * 60):
            installation = self._rotate(workspace, ws) or installation
        return str(installation.bot_token)

    def _find(self, ws: Workspace) -> Installation | None:
        return self.installations.find_installation(
            enterprise_id=ws.enterprise, team_id=ws.team, is_enterprise_install=ws.team is None
        )

    @staticmethod
    def _expires_within(installation: Installation, seconds: float) -> bool:
        expires_at = installation.bot_token_expires_at
        return expires_at is not None and expires_at <= time.time() + seconds

    def _rotate(self, key: str, ws: Workspace) -> Installation | None:
        """The installation with a fresh token, re-read under the lease (another process
        may have just rotated it). Without the lease: the current token while it is still
        good, else whatever the process holding the lease saves within EXPIRED_WAIT."""
        with self._lock:
            lease = self.leases.lease(f"rotate:{key}", ROTATE_LEASE)
            if lease is None:
                return self._await_rotation(ws)
            try:
                installation = self._find(ws)
                if installation is None or not self._expires_within(installation, self.rotate_minutes * 60):
                    return installation
                rotated = self.rotator.perform_token_rotation(
                    installation=installation, minutes_before_expiration=self.rotate_minutes
                )
                if rotated is None:
                    return installation
                self.installations.save(rotated)
                return rotated
            finally:
                self.leases.release_lease(f"rotate:{key}", lease)

    def _await_rotation(self, ws: Workspace) -> Installation | None:
        deadline = time.monotonic() + EXPIRED_WAIT
        while True:
            installation = self._find(ws)
            if installation is None or not self._expires_within(installation, 0) or time.monotonic() > deadline:
                return installation
            time.sleep(0.05)


class WorkspaceAuthorize(Authorize):
    """Bolt's authorize for many workspaces, through `InstalledTokens` (so requests and
    jobs rotate under the same lease). Like Bolt's `InstallationStoreAuthorize` with its
    cache on, `auth.test` is asked once per token."""

    def __init__(self, tokens: InstalledTokens) -> None:
        self.tokens = tokens
        self.results: TTLCache[str, AuthorizeResult] = TTLCache(maxsize=4096, ttl=12 * 3600)
        self.recent: TTLCache[str, AuthorizeResult] = TTLCache(maxsize=4096, ttl=RECENT_AUTHORIZE)
        """By workspace: an ack reads the store at most once a minute per workspace (a
        token is rotated hours before it expires, so a minute-old one is still good)."""
        self._lock = threading.Lock()

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **actor: Any,
    ) -> AuthorizeResult | None:
        workspace = Workspace(None if context.is_enterprise_install else team_id, enterprise_id).key
        with self._lock:
            recent = self.recent.get(workspace)
        if recent is not None:
            return recent
        try:
            token = self.tokens.token_for(workspace)
        except StoreError as exc:
            log.error("could not read workspace %s's installation: %s", workspace, exc)
            return None
        except NotInstalled:
            log.warning("a request from workspace %s, which has no installation of partbot", workspace)
            return None
        except SlackTokenRotationError as exc:
            log.error("could not rotate the bot token of workspace %s: %s", workspace, exc)
            return None
        with self._lock:
            cached = self.results.get(token)
            if cached is not None:
                self.recent[workspace] = cached
        if cached is not None:
            return cached
        try:
            auth = context.client.auth_test(token=token)
        except SlackApiError as exc:
            log.error("Slack refused the bot token of workspace %s: %s", workspace, exc.response.get("error"))
            return None
        scopes = auth.headers.get("x-oauth-scopes")
        result = AuthorizeResult.from_auth_test_response(auth_test_response=auth, bot_token=token, bot_scopes=scopes)
        with self._lock:
            self.results[token] = result
            self.recent[workspace] = result
        return result
