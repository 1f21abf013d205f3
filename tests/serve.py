"""`python -m bot serve` as a real child process, for end-to-end tests and the benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import SIGNING_SECRET, free_port
from tests.fakes.signing import signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]


class ServeProcess:
    """The production server (uvicorn) on a free loopback port; ready once /healthz is 200."""

    def __init__(self, env: dict[str, str], workdir: Path, *, startup: float = 60, root: Path = ROOT) -> None:
        """`root` is the tree whose `bot` runs (the benchmarks compare another checkout)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{self.port}.log"
        full = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "PYTHONPATH": str(root), **env}
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(self.port)],
            env=full,
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + startup
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("the server did not come up:\n" + self.output()[-2000:])
            time.sleep(0.1)

    def command(self, text: str, slack: FakeSlack, name: str, user: str = "U123") -> httpx.Response:
        """A signed `/part TEXT` whose answer goes to the fake response_url `name`."""
        body = slash_command_body(text, user_id=user, response_url=slack.response_url(name))
        return httpx.post(self.url + "/slack/events", content=body, headers=signed_headers(SIGNING_SECRET, body), timeout=10)

    def kill(self) -> None:
        """kill -9: no clean shutdown."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        """SIGTERM, as a platform does on deploy; in-flight requests and jobs finish."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(25)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""
