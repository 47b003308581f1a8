"""core.jobs: plugins' periodic work on discord.ext.tasks, after ready, cancelled on close."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.jobs import Jobs


async def test_a_job_waits_for_ready_runs_every_interval_and_stops_on_close():
    ready = asyncio.Event()
    runs: list[float] = []

    async def job() -> None:
        runs.append(asyncio.get_running_loop().time())

    async def wait_until_ready() -> None:
        await ready.wait()

    jobs = Jobs(wait_until_ready)
    jobs.every(0.02, job, name="tick")
    await asyncio.sleep(0.05)
    assert runs == [], "nothing runs before the bot is ready"
    ready.set()
    await asyncio.sleep(0.15)
    assert len(runs) >= 3 and jobs.running() == ["tick"]
    await jobs.close()
    count = len(runs)
    await asyncio.sleep(0.06)
    assert len(runs) == count and jobs.running() == []


async def test_two_jobs_of_one_name_are_refused():
    async def job() -> None:
        return None

    async def ready() -> None:
        return None

    jobs = Jobs(ready)
    jobs.every(10, job, name="tick")
    with pytest.raises(ValueError, match="'tick' is running already"):
        jobs.every(10, job, name="tick")
    await jobs.close()


async def test_a_job_that_raises_is_logged_by_name(caplog):
    async def job() -> None:
        raise RuntimeError("boom")

    async def ready() -> None:
        return None

    jobs = Jobs(ready)
    with caplog.at_level(logging.ERROR, logger="core.jobs"):
        loop = jobs.every(10, job, name="broken")
        with pytest.raises(RuntimeError):
            await loop.get_task()
    assert "background job broken stopped" in caplog.text
    assert "boom" in caplog.text
    await jobs.close()


async def test_close_lets_a_round_in_progress_finish_and_cancels_one_past_grace():
    """A round mid-way is not cancelled under the database (asyncpg leaks a half-open
    connection then); one that outlasts the grace is."""
    started = asyncio.Event()
    finished: list[str] = []

    def slow(name: str, seconds: float):
        async def job() -> None:
            started.set()
            await asyncio.sleep(seconds)
            finished.append(name)

        return job

    async def ready() -> None:
        return None

    jobs = Jobs(ready)
    jobs.every(10, slow("short", 0.05), name="short")
    await started.wait()
    await jobs.close(grace=1)
    assert finished == ["short"], "the round in progress ran to its end"

    started.clear()
    jobs.every(10, slow("long", 5), name="long")
    await started.wait()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await jobs.close(grace=0.05)
    assert finished == ["short"] and loop.time() - began < 1, "cancelled after the grace"
    assert jobs.running() == []


async def test_a_spawned_task_is_listed_logged_by_name_when_it_fails_and_cancelled_on_close(
    caplog,
):
    async def ready() -> None:
        return None

    async def broken() -> None:
        raise RuntimeError("boom")

    stopped: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append("forever")

    jobs = Jobs(ready)
    with caplog.at_level(logging.ERROR, logger="core.jobs"):
        failing = jobs.spawn(broken(), name="broken-task")
        lasting = jobs.spawn(forever(), name="lasting-task")
        await asyncio.sleep(0.01)
    assert failing.done() and jobs.running() == ["lasting-task"]
    [record] = [r for r in caplog.records if "broken-task" in r.getMessage()]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])
    await jobs.close()
    assert lasting.cancelled() and stopped == ["forever"] and jobs.running() == []
