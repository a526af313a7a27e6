"""Real RQ workers for tests: in-process burst runs, or `rq worker --with-scheduler` processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from redis import Redis
from rq import Queue, SimpleWorker

from core.config import ROOT
from core.queues import ALL_QUEUES


def run_burst(redis_url: str, queues=ALL_QUEUES, with_scheduler: bool = False) -> bool:
    """Work every job already queued, in this process, then return."""
    connection = Redis.from_url(redis_url)
    worker = SimpleWorker([Queue(name, connection=connection) for name in queues], connection=connection)
    return worker.work(burst=True, with_scheduler=with_scheduler)


class WorkerProcess:
    """`rq worker --with-scheduler` in a child process, with the test's environment."""

    def __init__(self, redis_url: str, env: dict[str, str] | None = None, queues=ALL_QUEUES,
                 worker_class: str = "rq.worker.SimpleWorker"):
        self.redis_url = redis_url
        self.env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
        self.queues = list(queues)
        self.worker_class = worker_class
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rq.cli", "worker", "--with-scheduler", "--url", self.redis_url,
             "--worker-class", self.worker_class, *self.queues],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        return self

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to clean up (fault tests). Its children (the scheduler
        process of --with-scheduler) are killed too, or they would outlive the test holding its pipe."""
        if self.process and self.process.poll() is None:
            import psutil

            children = psutil.Process(self.process.pid).children(recursive=True)
            self.process.send_signal(signal.SIGKILL)
            for child in children:
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass
            self.process.wait(10)

    def stop(self) -> str:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.stdout.read() if self.process and self.process.stdout else ""
