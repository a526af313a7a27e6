"""Periodic jobs, scheduled on RQ's scheduler (workers run with --with-scheduler).

Each entry is a dotted function path and an interval in seconds. `install()` (run once by `make run` /
the worker start: `python -m core.periodic`) schedules every entry under a fixed job id,
"periodic-<path with dots as dashes>", with RQ's Repeat, so the job re-schedules itself after each run and there is never
more than one pending copy: install() leaves a job that is already scheduled, queued or running alone,
and replaces one that failed or vanished (e.g. after a Redis restart).

To add a job, add one line to PERIODIC_JOBS (the function takes no arguments and lets exceptions
propagate; a failed run is retried, and the next install() puts it back on schedule).
"""
from __future__ import annotations

import argparse
import importlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from redis import Redis
from rq import Queue, Repeat, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from core.queues import DEFAULT, get_queue

log = logging.getLogger(__name__)

REPEAT_TIMES = 10_000_000   # "for ever": RQ's Repeat needs a count


@dataclass(frozen=True)
class PeriodicJob:
    path: str                  # "package.module.function"
    interval: int              # seconds between runs
    queue: str = DEFAULT
    timeout: int = 300

    @property
    def job_id(self) -> str:
        return "periodic-" + self.path.replace(".", "-")   # RQ job ids: letters, digits, _ and - only


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("notify.sweeper.run", 60),
    PeriodicJob("bot.gateway.jobs.flush_all_pending_job", 60),   # chat/SMS messages kept while the bot was down
    PeriodicJob("desk.targets.run_reminder_check", 300),   # escalations about to miss their answer target
    PeriodicJob("core.retention.purge_expired_transcripts", 24 * 3600, timeout=1800),   # transcript retention
    PeriodicJob("integrations.reminders.job_check_overdue", 900),   # pre-review past its 2 working days
)

PENDING = {JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED}


def resolve(path: str):
    module_name, _, function_name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), function_name)


def run(path: str):
    """What the scheduled job executes: import and call the registered function."""
    return resolve(path)()


def _pending(connection: Redis, job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=True)
    if status not in PENDING:
        job.delete()
        return False
    if status == JobStatus.SCHEDULED and job.id not in Queue(job.origin, connection=connection).scheduled_job_registry:
        job.delete()      # a hash without its schedule entry would never run
        return False
    return True


def install(jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> list[str]:
    """Schedule every periodic job not already pending; return the ids scheduled now."""
    scheduled = []
    for entry in jobs:
        resolve(entry.path)   # fail loudly at install time for a wrong path
        queue = get_queue(entry.queue)
        if _pending(queue.connection, entry.job_id):
            continue
        queue.enqueue_in(timedelta(seconds=entry.interval), run, entry.path, job_id=entry.job_id,
                         repeat=Repeat(times=REPEAT_TIMES, interval=entry.interval),
                         retry=Retry(max=3, interval=[10, 60, 300]),
                         job_timeout=entry.timeout, result_ttl=entry.interval * 2, failure_ttl=7 * 24 * 3600)
        scheduled.append(entry.job_id)
        log.info("periodic job %s scheduled every %ss", entry.path, entry.interval)
    return scheduled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.periodic",
                                     description="Install the periodic jobs on RQ's scheduler")
    parser.add_argument("--list", action="store_true", help="only list the registered jobs")
    args = parser.parse_args(argv)
    if args.list:
        for entry in PERIODIC_JOBS:
            print(f"{entry.job_id}\tevery {entry.interval}s\tqueue {entry.queue}")
        return
    done = install()
    print(f"periodic: {len(done)} scheduled, {len(PERIODIC_JOBS) - len(done)} already pending")


if __name__ == "__main__":
    main()
