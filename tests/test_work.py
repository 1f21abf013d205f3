"""Job runners: threads here, or a real worker process (spawned) fed over a pipe."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.work import Job, ProcessRunner, ThreadRunner

# Tasks run in a spawned process, so they are module-level and report through files.


def setup(config: str) -> tuple[dict[str, str], Callable[[], None]]:
    context = {"config": config, "pid": str(os.getpid())}
    return context, lambda: Path(config, f"closed-{os.getpid()}").write_text("")


def note(context: dict[str, str], path: str, text: str) -> None:
    Path(path).write_text(f"{context['config']}|{context['pid']}|{os.getpid()}|{text}")


def note_with(context: dict[str, str], path: str, text: str, _extra: object) -> None:
    note(context, path, text)


def slow_note(context: dict[str, str], path: str, text: str) -> None:
    time.sleep(0.5)
    note(context, path, text)


def boom(context: object, path: str, text: str) -> None:
    raise RuntimeError("boom")


def die(context: object, *_: object) -> None:
    os._exit(3)


def wait_for(path: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never written"
        time.sleep(0.02)
    time.sleep(0.02)
    return path.read_text()


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[ProcessRunner]:
    r = ProcessRunner(setup, str(tmp_path), threads=4)
    r.start({"config": "web", "pid": str(os.getpid())})
    yield r
    r.close(timeout=10)


def test_thread_runner_gives_tasks_its_context_and_reports_failures(tmp_path: Path) -> None:
    runner = ThreadRunner(2)
    runner.start({"config": "here", "pid": "0"})
    runner.submit(Job(note, (str(tmp_path / "a"), "hello")))
    runner.submit(Job(boom, (str(tmp_path / "b"), "sorry"), on_error=note))
    runner.close()
    assert (tmp_path / "a").read_text().endswith("|hello") and (tmp_path / "a").read_text().startswith("here|")
    assert (tmp_path / "b").read_text().endswith("|sorry")


def test_jobs_run_in_the_worker_process_with_the_context_it_built(runner: ProcessRunner, tmp_path: Path) -> None:
    runner.submit(Job(note, (str(tmp_path / "out"), "hi")))
    config, context_pid, ran_in, text = wait_for(tmp_path / "out").split("|")
    assert config == str(tmp_path) and text == "hi"
    assert context_pid == ran_in != str(os.getpid())
    assert runner.alive()


def test_a_failing_job_gets_its_error_handler_in_the_worker(runner: ProcessRunner, tmp_path: Path) -> None:
    runner.submit(Job(boom, (str(tmp_path / "err"), "told"), on_error=note))
    assert wait_for(tmp_path / "err").endswith("|told")


def test_a_job_that_cannot_be_pickled_runs_here(runner: ProcessRunner, tmp_path: Path) -> None:
    runner.submit(Job(note_with, (str(tmp_path / "here"), "local", threading.Lock())))  # a lock cannot be pickled
    config, _, ran_in, text = wait_for(tmp_path / "here").split("|")
    assert (config, ran_in, text) == ("web", str(os.getpid()), "local")
    runner.submit(Job(note, (str(tmp_path / "after"), "still")))
    assert wait_for(tmp_path / "after").split("|")[2] != str(os.getpid())


def test_a_dead_worker_is_replaced_and_its_unfinished_jobs_get_their_error_here(runner: ProcessRunner, tmp_path: Path) -> None:
    runner.submit(Job(note, (str(tmp_path / "before"), "1")))
    first_pid = wait_for(tmp_path / "before").split("|")[2]
    runner.submit(Job(slow_note, (str(tmp_path / "unfinished"), "sorry"), on_error=note))
    time.sleep(0.2)
    runner.submit(Job(die))
    config, _, ran_in, text = wait_for(tmp_path / "unfinished").split("|")
    assert (config, ran_in, text) == ("web", str(os.getpid()), "sorry"), "the error message, sent from this process"
    deadline = time.monotonic() + 20
    while not runner.alive():
        assert time.monotonic() < deadline, "no new worker"
        time.sleep(0.05)
    runner.submit(Job(note, (str(tmp_path / "after"), "2")))
    second_pid = wait_for(tmp_path / "after").split("|")[2]
    assert second_pid not in (first_pid, str(os.getpid()))


def test_close_lets_running_jobs_finish_and_closes_the_worker_context(tmp_path: Path) -> None:
    runner = ProcessRunner(setup, str(tmp_path), threads=4)
    runner.start(None)
    runner.submit(Job(note, (str(tmp_path / "warm"), "up")))
    worker_pid = wait_for(tmp_path / "warm").split("|")[2]
    runner.submit(Job(slow_note, (str(tmp_path / "slow"), "done")))
    time.sleep(0.1)
    runner.close(timeout=10)
    assert (tmp_path / "slow").read_text().endswith("|done")
    assert (tmp_path / f"closed-{worker_pid}").exists()
    assert not runner.alive()


def broken_setup(config: str) -> tuple[object, Callable[[], None]]:
    raise RuntimeError("cannot reach the store")


class QuickToGiveUp(ProcessRunner):
    RESTART_LIMIT = 1


def test_a_worker_that_cannot_start_leaves_jobs_to_this_process(tmp_path: Path) -> None:
    runner = QuickToGiveUp(broken_setup, str(tmp_path), threads=2)
    runner.start({"config": "web", "pid": str(os.getpid())})
    deadline = time.monotonic() + 30
    while runner._worker is not None or runner._restarts < QuickToGiveUp.RESTART_LIMIT:  # tried, and given up
        assert time.monotonic() < deadline, "the runner never gave up on the worker"
        time.sleep(0.05)
    assert not runner.alive()
    runner.submit(Job(note, (str(tmp_path / "here"), "x")))
    assert wait_for(tmp_path / "here").split("|")[2] == str(os.getpid())
    runner.close(timeout=10)


def test_after_close_jobs_run_here(tmp_path: Path) -> None:
    runner = ProcessRunner(setup, str(tmp_path), threads=2)
    runner.start({"config": "web", "pid": str(os.getpid())})
    runner.close(timeout=10)
    runner.submit(Job(note, (str(tmp_path / "late"), "x")))
    assert wait_for(tmp_path / "late").split("|")[2] == str(os.getpid())


def test_prestart_starts_the_threads_up_front() -> None:
    before = set(threading.enumerate())
    runner = ThreadRunner(16)
    runner.prestart(8)
    started = [t for t in set(threading.enumerate()) - before if t.name.startswith("partbot-work")]
    assert len(started) == 8
    runner.close()
