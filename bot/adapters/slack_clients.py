"""A Slack Web API client per workspace, for background jobs (lookups, BOMs, App Home).

Listeners get their workspace's client from Bolt's authorize; a job may run later, or in
the worker process, so it looks the token up again by the workspace key, rotating it
first when it is about to expire (as Bolt's authorize does).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.adapters.installations import StoreInstallationStore
from bot.domain.workspace import Workspace
from bot.ports import Leases, NotInstalled

ROTATE_MINUTES = 120
"""Rotate a bot token this long before it expires (Bolt's default)."""
ROTATE_LEASE = 15.0


class OneToken:
    """A single-workspace setup (`SLACK_BOT_TOKEN`): one client for every request."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def client_for(self, workspace: str) -> WebClient:
        return self.client


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
        ws = Workspace.from_key(workspace)
        installation = self._find(ws)
        if installation is None or not installation.bot_token:
            raise NotInstalled(workspace)
        if self._expiring(installation):
            installation = self._rotate(workspace, ws) or installation
        return self.make_client(str(installation.bot_token))

    def _find(self, ws: Workspace) -> Installation | None:
        return self.installations.find_installation(
            enterprise_id=ws.enterprise, team_id=ws.team, is_enterprise_install=ws.team is None
        )

    def _expiring(self, installation: Installation) -> bool:
        expires_at = installation.bot_token_expires_at
        return expires_at is not None and expires_at <= time.time() + self.rotate_minutes * 60

    def _rotate(self, key: str, ws: Workspace) -> Installation | None:
        """The installation with a new token. One process at a time rotates a workspace's
        token (under a lease), re-reading it first: another may have just rotated it."""
        with self._lock:
            lease = self.leases.lease(f"rotate:{key}", ROTATE_LEASE)
            if lease is None:
                return None  # another process is rotating it now; the current token is still good for a while
            try:
                installation = self._find(ws)
                if installation is None or not self._expiring(installation):
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
