"""RQ jobs of notify: thin, they take ids and let exceptions propagate (RQ's Retry needs them)."""
from __future__ import annotations

import time
from datetime import datetime

from rq import Queue, Retry, Worker

from core.queues import NOTIFY, get_queue
from core.redis import get_redis
from notify import delivery
from notify.outbox import DISPATCH_FLAG, DISPATCH_FLAG_TTL, READY_KEY

BATCH_SIZE = 100        # ids per delivery job while the ready list is short
MAX_BATCH_SIZE = 500    # ... and at most, when it is deep (fewer transactions per message)
SPREAD = 4              # a deep ready list is cut into at least this many jobs, for several workers
LINGER = 0.25           # seconds new ids may gather while every worker is busy (see dispatch)
LINGER_STEP = 0.005
DELIVER_TIMEOUT = 120   # seconds; above delivery.SEND_BUDGET + the HTTP timeout, far below the sweeper's stale_after


def deliver(ids: list[int]) -> dict:
    """Deliver a batch of notifications (raises TemporaryDeliveryFailure to be retried)."""
    report = delivery.deliver([int(i) for i in ids])
    return {"delivered": len(report.delivered), "accepted": len(report.accepted), "failed": len(report.failed),
            "deferred": len(report.deferred), "skipped": len(report.skipped)}


def _retry() -> Retry:
    intervals = delivery.retry_intervals()
    return Retry(max=len(intervals), interval=intervals)


def _deliver_job(ids: list[int]):
    return Queue.prepare_data(deliver, args=(ids,), retry=_retry(), timeout=DELIVER_TIMEOUT,
                              result_ttl=60, failure_ttl=7 * 24 * 3600)


def enqueue_delivery(batches: list[list[int]]) -> None:
    if batches:
        get_queue(NOTIFY).enqueue_many([_deliver_job(batch) for batch in batches])


def enqueue_delivery_at(when: datetime, ids: list[int]) -> None:
    get_queue(NOTIFY).enqueue_at(when, deliver, ids, retry=_retry(), job_timeout=DELIVER_TIMEOUT,
                                 result_ttl=60, failure_ttl=7 * 24 * 3600)


def batch_size(waiting: int, parts: int = SPREAD) -> int:
    """Ids per delivery job when `waiting` ids are to be cut into `parts` jobs: larger batches when the
    ready list is deep (fewer transactions per message), never above MAX_BATCH_SIZE."""
    return max(BATCH_SIZE, min(MAX_BATCH_SIZE, -(-waiting // max(parts, 1))))


def dispatch() -> int:
    """Cut the ready list into delivery jobs; return how many ids it queued.

    Delivery jobs in flight (waiting or running) are kept at about one per notify worker. While every
    worker has one, new ids stay in the ready list for up to LINGER seconds, where they gather into a
    larger batch: with idle workers an id goes out at once (latency), with busy ones the batches grow
    (fewer claim/store transactions per message, so throughput). The flag that keeps a second
    dispatcher from being queued is cleared before the last look at the list, so an id pushed
    meanwhile is never stranded."""
    redis = get_redis()
    queue = get_queue(NOTIFY)
    started = queue.started_job_registry
    workers = max(1, Worker.count(connection=redis, queue=queue))
    queued = 0
    lingered = 0.0
    while True:
        waiting = redis.llen(READY_KEY)
        if not waiting:
            break
        busy = queue.count + max(0, started.get_job_count(cleanup=False) - 1)   # minus this dispatcher
        if busy >= workers and waiting < MAX_BATCH_SIZE and lingered < LINGER:
            time.sleep(LINGER_STEP)
            lingered += LINGER_STEP
            redis.expire(DISPATCH_FLAG, DISPATCH_FLAG_TTL)
            continue
        lingered = 0.0
        parts = max(1, workers - busy)
        size = batch_size(waiting, parts)
        batches = []
        for _ in range(parts):
            chunk = redis.lpop(READY_KEY, size)
            if not chunk:
                break
            batches.append(sorted({int(i) for i in chunk}))
        enqueue_delivery(batches)
        queued += sum(len(b) for b in batches)
        redis.expire(DISPATCH_FLAG, DISPATCH_FLAG_TTL)
    redis.delete(DISPATCH_FLAG)
    if redis.llen(READY_KEY) and redis.set(DISPATCH_FLAG, 1, nx=True, ex=DISPATCH_FLAG_TTL):
        return queued + dispatch()   # ids pushed after the last look, and no other dispatcher has them
    return queued
