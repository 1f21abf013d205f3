"""The listener job pool: failures are logged and do not stop the pool; close waits for work in flight."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.jobs import Jobs


def test_a_failing_job_is_logged_and_the_next_runs(caplog: pytest.LogCaptureFixture) -> None:
    jobs = Jobs(2)

    def boom() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="bot.jobs"):
        failed = jobs.submit(boom)
        assert isinstance(failed.exception(10), RuntimeError)
        assert jobs.submit(lambda: 42).result(10) == 42
    assert any("background job boom failed" in r.getMessage() for r in caplog.records)
    jobs.close()


def test_close_waits_for_running_jobs_and_refuses_new_ones() -> None:
    jobs = Jobs(2)
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(10)
        done.append("slow")

    jobs.submit(slow)
    started.wait(10)
    closer = threading.Thread(target=jobs.close, kwargs={"timeout": 20})
    closer.start()
    assert jobs.pending() == 1 and closer.is_alive()
    release.set()
    closer.join(20)
    assert done == ["slow"] and jobs.pending() == 0
    with pytest.raises(RuntimeError, match="shutting down"):
        jobs.submit(lambda: None)
