"""Notify benchmark: N pre-review events → time until all N SMS reach the local Twilio test server.

Two runs in the same process, same machine, same services, same number of SimpleWorker processes:
- pipeline: notify's outbox → dispatcher → batched delivery jobs (one claim UPDATE and one result
  UPDATE per batch, the batch sent concurrently over pooled keep-alive connections);
- baseline: the same rows, but one plain RQ job per message that opens its own twilio client.
Each run has three phases on fresh state, after every worker ran one warm-up job (a worker's first
job pays for imports and the twilio client; that is not what is measured):
- live: events at the producer's own pace, one transaction each (as the workflow writes them)
  → p50/p99 event-to-provider latency;
- backlog: N events written (one transaction each) while the workers are parked (rq suspend, and
  each idle worker handed a no-op job so that none sits in a blocking dequeue), then resumed →
  messages/s from the first to the last arrival: the delivery capacity, independent of the producer;
- burst: N events written as fast as the producer can, in transactions of --producer-batch events
  (as a bulk event source would), with the workers running → messages/s from the first event to
  the last arrival, and p50/p99 latency from each event's recording to its arrival.
Duplicates and losses are counted over all phases. CPU seconds per 1,000 messages of the backlog
phase are reported per process kind (workers, test server, Redis; the database's own server
processes, if any, are not counted).

    .venv/bin/python -m bench.notify_bench [--n 3000] [--workers 3] [--database-url URL]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

from bench.stats import summarise
from core.config import ROOT

PHONE_BASE = 13800000000
PERSONALISATION = {"name": "张三", "application_id": "YC20261122-0001", "item_name": "食品经营许可",
                   "department": "市场监管"}


# --- the baseline job: one plain RQ job per message, no batching, no connection reuse
def baseline_send(notification_id: int) -> None:
    from twilio.rest import Client

    from core.config import get_settings
    from core.db import session_scope, utcnow
    from notify.models import SENDING, Notification
    from notify.providers.twilio import RebasedHttpClient, status_callback_url

    settings = get_settings()
    with session_scope() as session:
        notification = session.get(Notification, notification_id)
        client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                        http_client=RebasedHttpClient(settings.twilio_api_base, timeout=10))
        message = client.messages.create(to=notification.recipient, body=notification.body,
                                         from_=settings.twilio_from_number,
                                         status_callback=status_callback_url(settings, notification_id))
        notification.status, notification.provider_ref, notification.attempts = SENDING, message.sid, 1
        notification.last_attempt_at = notification.sent_at = notification.updated_at = utcnow()


def park() -> None:
    """A no-op job: a worker blocked in its dequeue takes it, then sees the suspension (bench only)."""


def warm_up() -> None:
    """Run once by every worker before measuring: what a worker's first job would otherwise pay for
    (imports, the database engine, the twilio client) is not what the benchmark measures."""
    from twilio.rest import Client  # noqa: F401 - the baseline's import

    import notify.jobs  # noqa: F401
    from core.db import check_database
    from notify.providers import provider_for

    check_database()
    provider_for("sms")


class Services:
    """Redis, a migrated database, the Twilio test server (own process) and rq workers."""

    def __init__(self, workdir: Path, database_url: str | None, workers: int):
        from tests.support.redis_server import RedisProcess, free_port

        self.redis = RedisProcess(workdir / "redis").start()
        self.database_url = database_url or f"sqlite:///{workdir / 'bench.db'}"
        self.twilio_port = free_port()
        self.twilio = subprocess.Popen([sys.executable, "-m", "devtools.twilio_testserver", "--port",
                                        str(self.twilio_port)], cwd=ROOT, stdout=subprocess.DEVNULL)
        self.twilio_url = f"http://127.0.0.1:{self.twilio_port}"
        self.worker_count = workers
        self.workers: list[subprocess.Popen] = []
        from devtools.twilio_testserver import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

        self.env = {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis.url, "QUIET_HOURS": "off",
                    "SMS_HOURLY_LIMIT": "0", "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
                    "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN, "TWILIO_API_BASE": self.twilio_url,
                    "TWILIO_FROM_NUMBER": "+8610690000", "YICI_ENV": "bench",
                    "NOTIFY_RETRY_INTERVALS": "1,2,5"}
        os.environ.update(self.env)
        from core.config import reset_settings
        from core.db import reset_engines
        from core.redis import reset_redis
        from tests.support import databases

        reset_settings()
        reset_engines()
        reset_redis()
        databases.prepare(self.database_url)
        for _ in range(100):
            try:
                requests.get(self.twilio_url + "/_test/messages", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)

    def start_workers(self, queues: list[str]) -> None:
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        for i in range(self.worker_count):
            scheduler = ["--with-scheduler"] if i == 0 else []
            self.workers.append(subprocess.Popen(
                [sys.executable, "-m", "rq.cli", "worker", *scheduler, "--url", self.redis.url, "--quiet",
                 "--worker-class", "rq.worker.SimpleWorker", *queues],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.5)

    def processes(self) -> dict[str, list]:
        import psutil

        return {"workers": [psutil.Process(w.pid) for w in self.workers],
                "test server": [psutil.Process(self.twilio.pid)],
                "redis": [psutil.Process(self.redis.process.pid)]}

    def wait_until_idle(self, queue_name: str, timeout: float = 60) -> None:
        """Every worker registered and waiting for work."""
        from rq import Queue, Worker

        from core.redis import get_redis

        queue = Queue(queue_name, connection=get_redis())
        deadline = time.monotonic() + timeout
        while True:
            workers = Worker.all(queue=queue)
            if len(workers) == self.worker_count and all(w.get_state() == "idle" for w in workers):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start")
            time.sleep(0.1)

    def park_workers(self, queue_name: str, job: str = "bench.notify_bench.park", timeout: float = 60) -> None:
        """After `rq suspend`: hand each (idle) worker one job, so that none is left blocked in a dequeue
        (a blocked worker would take the next real job despite the suspension)."""
        from rq import Queue

        from core.redis import get_redis

        queue = Queue(queue_name, connection=get_redis())
        jobs = [queue.enqueue(job, result_ttl=60) for _ in self.workers]
        deadline = time.monotonic() + timeout
        while any(job.get_status(refresh=True) != "finished" for job in jobs):
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not park")
            time.sleep(0.05)

    def stop_workers(self) -> None:
        import psutil

        for worker in self.workers:
            children = psutil.Process(worker.pid).children(recursive=True) if worker.poll() is None else []
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
            for child in children:
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass
        self.workers = []

    def reset(self) -> None:
        from core.redis import get_redis
        from tests.support import databases

        databases.truncate_all(self.database_url)
        get_redis().flushdb()
        requests.post(self.twilio_url + "/_test/reset", json={}, timeout=5)

    def count(self) -> int:
        return requests.get(self.twilio_url + "/_test/count", timeout=30).json()["messages"]

    def arrived(self) -> list[dict]:
        return requests.get(self.twilio_url + "/_test/messages", timeout=30).json()

    def close(self) -> None:
        self.stop_workers()
        self.twilio.terminate()
        self.twilio.wait(10)
        self.redis.stop()


def produce(n: int, baseline: bool, offset: int = 0, per_transaction: int = 1) -> dict[str, float]:
    """N events, `per_transaction` per database transaction (1: as the workflow writes them);
    returns phone → the moment its event started to be recorded."""
    from core.db import session_scope
    from core.queues import DEFAULT, get_queue
    from notify import outbox

    started: dict[str, float] = {}
    queue = get_queue(DEFAULT)
    for first in range(offset, offset + n, per_transaction):
        ids = []
        with session_scope() as session:
            for i in range(first, min(offset + n, first + per_transaction)):
                phone = f"+86{PHONE_BASE + i}"
                started[phone] = time.time()
                rows = outbox.record(session, event_key=f"bench:{i}", template="prereview_passed",
                                     personalisation=PERSONALISATION, phone=phone)
                ids.append(rows[0].id)
            if baseline:
                session.info.pop("notify_pending_ids", None)    # the baseline queues its own jobs
        if baseline:
            for notification_id in ids:
                queue.enqueue("bench.notify_bench.baseline_send", notification_id, result_ttl=0)
    return started


def _collect(services: Services, phones: list[str], target: int, timeout: float) -> list[dict]:
    """Wait until the server holds `target` messages in all (or the timeout), then read them."""
    deadline = time.monotonic() + timeout
    wanted = set(phones)
    while services.count() < target and time.monotonic() < deadline:
        time.sleep(0.2)    # counting is cheap; the full list is read once, at the end
    time.sleep(1.0)                       # late duplicates would arrive now
    return [m for m in services.arrived() if m["to"] in wanted]


def _firsts(arrived: list[dict]) -> dict[str, float]:
    firsts: dict[str, float] = {}
    for message in arrived:
        firsts[message["to"]] = min(firsts.get(message["to"], message["_received_at"]), message["_received_at"])
    return firsts


def _latencies(started: dict[str, float], arrived: list[dict]) -> tuple[list[float], dict[str, float]]:
    firsts = _firsts(arrived)
    return [firsts[p] - t for p, t in started.items() if p in firsts], firsts


def _cpu(processes: dict[str, list]) -> dict[str, float]:
    return {kind: sum(sum(p.cpu_times()[:2]) for p in group) for kind, group in processes.items()}


def measure(services: Services, n: int, n_live: int, baseline: bool, timeout: float,
            per_transaction: int) -> dict:
    """The three phases (live, backlog, burst) of one run; see the module docstring."""
    from rq.suspension import resume, suspend

    from core.queues import DEFAULT, NOTIFY
    from core.redis import get_redis

    queue_name = DEFAULT if baseline else NOTIFY
    services.reset()
    services.start_workers([queue_name])
    try:
        services.wait_until_idle(queue_name)
        suspend(get_redis())
        services.park_workers(queue_name, job="bench.notify_bench.warm_up")   # each worker runs it once
        resume(get_redis())
        time.sleep(1.5)                                                      # workers see the resume
        live_started = produce(n_live, baseline, offset=0)
        live = _collect(services, list(live_started), n_live, timeout)

        suspend(get_redis())
        services.park_workers(queue_name)
        first_event = time.time()
        backlog_started = produce(n, baseline, offset=n_live)
        produced = time.time() - first_event
        processes = services.processes()
        cpu_before = _cpu(processes)
        resume(get_redis())
        backlog = _collect(services, list(backlog_started), n_live + n, timeout)
        cpu_after = _cpu(processes)

        burst_offset = n_live + n
        burst_began = time.time()
        burst_started = produce(n, baseline, offset=burst_offset, per_transaction=per_transaction)
        burst_produced = time.time() - burst_began
        burst = _collect(services, list(burst_started), n_live + 2 * n, timeout)
    finally:
        services.stop_workers()
    live_latencies, _ = _latencies(live_started, live)
    live_summary = summarise(live_latencies, 1.0)
    firsts = _firsts(backlog)
    span = (max(firsts.values()) - min(firsts.values())) if len(firsts) > 1 else float("nan")
    burst_latencies, burst_firsts = _latencies(burst_started, burst)
    burst_summary = summarise(burst_latencies, 1.0)
    burst_span = (max(burst_firsts.values()) - burst_began) if burst_firsts else float("nan")
    everything = live + backlog + burst
    per_number = Counter(m["to"] for m in everything)
    cpu = {kind: round((cpu_after[kind] - cpu_before[kind]) / max(len(firsts), 1) * 1000, 2) for kind in cpu_after}
    return {"run": "baseline: 1 plain RQ job per message" if baseline else "notify pipeline (batched)",
            "messages": n_live + 2 * n, "backlog_messages_per_s": round(len(firsts) / span, 1) if span > 0 else None,
            "backlog_seconds": round(span, 3), "live_p50_ms": round(live_summary.p50_ms, 1),
            "live_p99_ms": round(live_summary.p99_ms, 1), "producer_events_per_s": round(n / produced, 1),
            "burst_messages_per_s": round(len(burst_firsts) / burst_span, 1) if burst_span > 0 else None,
            "burst_p50_ms": round(burst_summary.p50_ms, 1), "burst_p99_ms": round(burst_summary.p99_ms, 1),
            "burst_producer_events_per_s": round(n / burst_produced, 1),
            "cpu_s_per_1000_backlog": cpu,
            "duplicates": sum(c - 1 for c in per_number.values()), "losses": n_live + 2 * n - len(per_number)}


def print_table(results: list[dict]) -> None:
    columns = ["run", "messages", "backlog_messages_per_s", "backlog_seconds", "live_p50_ms", "live_p99_ms",
               "burst_messages_per_s", "burst_p50_ms", "burst_p99_ms", "duplicates", "losses",
               "producer_events_per_s", "burst_producer_events_per_s"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in results)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in results:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in columns))
    for r in results:
        cpu = ", ".join(f"{kind} {seconds}" for kind, seconds in r["cpu_s_per_1000_backlog"].items())
        print(f"CPU seconds per 1,000 backlog messages, {r['run']}: {cpu}")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="backlog events (throughput)")
    parser.add_argument("--n-live", type=int, default=200, help="events at the producer's pace (latency)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--producer-batch", type=int, default=100,
                        help="events per transaction in the burst phase (a bulk event source)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--skip-baseline", action="store_true", help="pipeline only (quick iterations)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="notify-bench-") as tmp:
        services = Services(Path(tmp), args.database_url, args.workers)
        try:
            results = [measure(services, args.n, args.n_live, baseline=False, timeout=args.timeout,
                               per_transaction=args.producer_batch)]
            if not args.skip_baseline:
                results.append(measure(services, args.n, args.n_live, baseline=True, timeout=args.timeout,
                                       per_transaction=args.producer_batch))
        finally:
            services.close()
    backend = (args.database_url or "sqlite").split(":", 1)[0]
    print(f"notify benchmark: {args.n_live} live + {args.n} backlog events (one transaction each) + {args.n} burst "
          f"events ({args.producer_batch} per transaction, as a bulk event source records them), "
          f"{args.workers} SimpleWorker processes, {os.cpu_count()} cores, database {backend}; "
          f"target >= 1000 messages/s, 0 duplicates, 0 losses")
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return results


if __name__ == "__main__":
    main()
