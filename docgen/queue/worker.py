"""`docgen worker`: run the queue's jobs on this node until stopped (SIGTERM / SIGINT: finish the jobs in
hand, then stop).

One engine per process (config, store, heartbeat in the diarium) with one warm LibreOffice per
concurrency slot. procrastinate's worker beats in its own table; beside it runs the recovery: every few
seconds, jobs of workers whose heartbeat is older than ``stalled_after`` are put back in the queue (any
node may do it; the first wins); dead processes are forgotten (listed as dead nodes by `docgen status`
for ``forget_after`` seconds) and their staging folders removed (``liveness.recover``); a submission
stored without a job by a submitter that stopped is queued (``requeue_orphans``). A database that goes away stops procrastinate's worker (its
heartbeat fails): the jobs in hand finish (the diarium's store waits for the database), and the worker
starts again, with the same warm LibreOffice, once the database answers.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket

from . import ensure_schema, make_app, require_postgres, tasks

log = logging.getLogger("docgen")

BEAT = 10.0  # procrastinate's worker heartbeat, seconds
STALLED_AFTER = 30.0  # a worker whose heartbeat is older is dead: its jobs go back to the queue


#: A submission without a job this old, whose submitter no longer runs, is queued by the recovery (seconds).
ORPHAN_AFTER = 60.0


def run(config, concurrency: int = 1, *, beat: float = BEAT, stalled_after: float = STALLED_AFTER,
        send_cron: str = tasks.SEND_CRON, fixity_cron: str = tasks.FIXITY_CRON, polling: float = 5.0,
        forget_after: float | None = None) -> int:
    """Run jobs until SIGTERM/SIGINT; the exit code."""
    from ..pipeline import Engine
    from ..store import Store

    store = Store(config.registry_url)
    try:
        require_postgres(store)
        ensure_schema(store)
        # a number taken before a failure for want of room is kept for the job's next attempt (tasks.Retry)
        engine = Engine(config, store=store, workers=concurrency, role="worker", hold_on_resource=True)
    except BaseException:
        store.close()
        raise
    try:
        engine.pool.start()
        tasks.RUNTIME = tasks.Runtime(engine)
        app = make_app(store.url, send_cron=send_cron, fixity_cron=fixity_cron)
        options = dict(concurrency=concurrency, name=f"docgen@{socket.gethostname()}:{os.getpid()}",
                       update_heartbeat_interval=beat, stalled_worker_timeout=stalled_after,
                       install_signal_handlers=False, fetch_job_polling_interval=polling, wait=True)
        log.info("worker %s: %d slot(s), each with its own LibreOffice", engine.heartbeat.owner, concurrency)
        recovery = Recovery(config, store, stalled_after, forget_after)
        asyncio.run(_serve(app, options, recovery))
        return 0
    finally:
        tasks.RUNTIME = None
        engine.close()


async def _serve(app, options: dict, recoverer: "Recovery") -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_one_line)
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    delay = 1.0
    while not stopping.is_set():
        try:
            async with app.open_async():
                worker = asyncio.create_task(app.run_worker_async(**options), name="docgen-worker")
                recovery = asyncio.create_task(recoverer.loop(app), name="docgen-recovery")
                stop = asyncio.create_task(stopping.wait())
                done, _ = await asyncio.wait({worker, stop}, return_when=asyncio.FIRST_COMPLETED)
                recovery.cancel()
                if stop in done:
                    log.info("stopping: finishing the jobs in hand")
                    worker.cancel()
                    await asyncio.gather(worker, recovery, return_exceptions=True)
                    return
                stop.cancel()
                await asyncio.gather(recovery, return_exceptions=True)
                if worker.exception() is not None:
                    raise worker.exception()
                log.warning("the queue's worker stopped (the database went away?); starting it again")
                delay = 1.0
        except Exception as exc:  # the database is away: wait for it, keep LibreOffice warm
            log.warning("the queue is not reachable (%s: %s); trying again in %.0f s", type(exc).__name__,
                        str(exc).splitlines()[0][:200] if str(exc) else "", delay)
        try:
            await asyncio.wait_for(stopping.wait(), timeout=delay)
        except asyncio.TimeoutError:
            pass
        delay = min(delay * 2, 15.0)


def _one_line(loop, context: dict) -> None:
    """An error of a background task, in one log line without a traceback. Expected: a late attempt whose job
    another node took over and finished cannot mark that job finished again (procrastinate says "Job was not
    found or not in doing status")."""
    exc = context.get("exception")
    words = []
    while exc is not None and len(words) < 2:  # the error and what caused it (the database's words)
        first = str(exc).strip().splitlines()
        words.append(f"{type(exc).__name__}: {first[0][:200] if first else ''}")
        exc = exc.__cause__
    log.warning("%s%s", context.get("message", "background task failed"), f" ({'; '.join(words)})" if words else "")


class Recovery:
    """What a worker clears periodically: stalled jobs, dead processes and their staging folders, orphaned
    submissions."""

    def __init__(self, config, store, stalled_after: float, forget_after: float | None = None):
        from .. import liveness

        self.config, self.store, self.stalled_after = config, store, stalled_after
        self.forget_after = liveness.FORGET_AFTER if forget_after is None else forget_after

    async def loop(self, app) -> None:
        every = max(1.0, self.stalled_after / 3)
        while True:
            await asyncio.sleep(every)
            await self.stalled(app)
            try:
                await asyncio.to_thread(self.dead)
                await self.orphans(app)
            except Exception as exc:
                log.warning("recovery failed (%s: %s); next in %.0f s", type(exc).__name__, exc, every)

    async def stalled(self, app) -> None:
        """Put the jobs of dead workers (no heartbeat for ``stalled_after`` s) back in the queue."""
        try:
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=self.stalled_after)
        except Exception as exc:
            log.warning("stalled-job check failed (%s)", exc)
            return
        for job in stalled:
            try:
                await app.job_manager.retry_job(job)
            except Exception:  # another node put it back first
                continue
            log.warning("job %s (%s) of a dead worker put back in the queue", job.id, job.task_name)

    def dead(self) -> dict:
        from .. import liveness

        return liveness.recover(self.config, self.store, self.forget_after)

    async def orphans(self, app) -> list[int]:
        """Queue the submissions stored without a job whose submitter stopped (older than ORPHAN_AFTER)."""
        from .submit import RENDER_TASK, requeue_orphans

        loop = asyncio.get_running_loop()

        def defer(submission_id: int, sha: str) -> int:
            task = app.tasks[RENDER_TASK].configure(lock=sha, queueing_lock=sha)
            return asyncio.run_coroutine_threadsafe(task.defer_async(submission_id=submission_id), loop).result(60)

        return await asyncio.to_thread(requeue_orphans, self.store, defer, ORPHAN_AFTER)
