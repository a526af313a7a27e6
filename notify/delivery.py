"""Delivering a batch of notification ids, exactly once, in three steps of constant statement count.

1. Claim (one transaction): apply policies (cancel for opt-outs, defer for quiet hours / hourly limit)
   and claim the rest with ONE conditional UPDATE … WHERE id IN (…) AND status IN (created,
   temporary-failure) RETURNING id (→ sending, attempts + 1). Only one worker can win a row. The
   history lines go in with one bulk INSERT. Local providers (console, chat) deliver inside this same
   transaction, so a crash leaves either nothing or everything.
2. Send: remote providers (Twilio) are called after the claim is committed, the whole batch at once
   (`Provider.send_many`: Twilio sends concurrently over a pool of keep-alive connections). A row
   claimed again after an earlier attempt (attempts > 1, no MessageSid stored) may already be at the
   provider — the worker died or the request timed out after Twilio accepted it — so the provider is
   asked first (`find`) and the message is re-sent only when the provider has no record of it.
3. Store (one transaction): every answer of the batch in ONE conditional UPDATE (per-row values by
   CASE on the id; only rows still `sending` without a MessageSid, so a status callback that got there
   first wins) and one bulk history INSERT. Transient errors leave the row in temporary-failure and
   the job raises, so RQ's Retry runs it again with backoff; once the attempts are used up the row
   becomes technical-failure.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db import session_scope, utcnow
from notify.history import add_events
from notify.models import (CLAIMABLE_STATUSES, DELIVERED, PERMANENT_FAILURE, SENDING, SMS,
                           TECHNICAL_FAILURE, TEMPORARY_FAILURE, Notification)
from notify.policies import CANCEL, DEFER, PolicyCheck, record_opt_out
from notify.providers import provider_for
from notify.providers.base import OPTED_OUT, NotAttempted, Provider, SendResult, TemporaryProviderError

log = logging.getLogger(__name__)


# Seconds a batch may spend starting sends. With the provider's HTTP timeout on top this keeps a
# delivery job well inside its RQ timeout (notify.jobs.DELIVER_TIMEOUT), which itself stays far below
# the sweeper's STALE_AFTER: a row is never declared interrupted while its job may still send it.
SEND_BUDGET = 60


class TemporaryDeliveryFailure(Exception):
    """Some messages of the batch hit a transient provider error; raised so that RQ retries the job."""


def retry_intervals() -> list[int]:
    raw = get_settings().notify_retry_intervals
    return [int(x) for x in raw.split(",") if x.strip()] or [0]


def max_attempts() -> int:
    return len(retry_intervals()) + 1


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)      # sending: accepted by the provider
    failed: list[int] = field(default_factory=list)        # permanent or technical failure
    retrying: list[int] = field(default_factory=list)
    deferred: list[tuple[int, datetime]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)       # not claimable (already done / someone else's)


Outcome = tuple[Notification, Provider, SendResult]


def transition(session: Session, ids: list[int], from_statuses, values: dict, *, extra=()) -> list[int]:
    """Conditional UPDATE: change the rows still in one of `from_statuses`; return the ids changed."""
    if not ids:
        return []
    statement = (update(Notification)
                 .where(Notification.id.in_(ids), Notification.status.in_(from_statuses), *extra)
                 .values(updated_at=utcnow(), **values)
                 .returning(Notification.id)
                 .execution_options(synchronize_session=False))
    return list(session.scalars(statement))


def transition_each(session: Session, changes: dict[int, dict], from_statuses, *, extra=()) -> list[int]:
    """Like transition(), but each row gets its own values, still in ONE statement: a column whose value
    differs between rows is set with CASE id WHEN … THEN … ELSE <current value> END."""
    if not changes:
        return []
    columns = list(dict.fromkeys(key for values in changes.values() for key in values))
    assignments = {}
    for key in columns:
        column = getattr(Notification, key)
        per_row = {notification_id: values[key] for notification_id, values in changes.items() if key in values}
        first = next(iter(per_row.values()))
        if len(per_row) == len(changes) and all(value == first for value in per_row.values()):
            assignments[key] = first
        else:
            assignments[key] = case({notification_id: bindparam(None, value, type_=column.type)
                                     for notification_id, value in per_row.items()},
                                    value=Notification.id, else_=column)
    return transition(session, list(changes), from_statuses, assignments, extra=extra)


def deliver(ids: list[int]) -> DeliveryReport:
    report = DeliveryReport()
    remote = _claim(ids, report)
    if report.deferred:
        _schedule_deferred(report.deferred)
    if remote:
        outcomes, unexpected = _send_all(remote)
        if outcomes:
            with session_scope() as session:
                _store_all(session, outcomes, report)
        if unexpected is not None:
            # The rows whose send raised stay `sending`: the sweeper re-queues them and the provider is
            # asked before any re-send. Everything else of the batch is stored above.
            raise unexpected
    if report.retrying:
        raise TemporaryDeliveryFailure(f"notifications {report.retrying} will be retried")
    return report


def _claim(ids: list[int], report: DeliveryReport) -> list[tuple[Notification, Provider]]:
    """Step 1; returns the claimed rows that a remote provider must send (plain snapshots)."""
    now = utcnow()
    with session_scope() as session:
        rows = list(session.scalars(select(Notification).where(
            Notification.id.in_(ids), Notification.status.in_(CLAIMABLE_STATUSES)).order_by(Notification.id)))
        for notification in rows:
            session.expunge(notification)   # plain snapshots from here on; rows change only by UPDATE
        report.skipped = sorted(set(ids) - {n.id for n in rows})
        check = PolicyCheck(session, rows, now)
        to_claim: list[Notification] = []
        cancelled: dict[str, list[int]] = defaultdict(list)
        deferred: dict[tuple[datetime, str], list[Notification]] = defaultdict(list)
        for notification in rows:
            decision = check.decide(notification)
            if decision.action == CANCEL:
                cancelled[decision.reason].append(notification.id)
            elif decision.action == DEFER:
                deferred[(decision.until, decision.reason)].append(notification)
            else:
                to_claim.append(notification)
        events: list[tuple[int, str, str | None]] = []
        for reason, group in cancelled.items():
            done = transition(session, group, CLAIMABLE_STATUSES, {
                "status": PERMANENT_FAILURE, "error_code": reason, "error_message": None, "next_attempt_at": None})
            events += [(i, PERMANENT_FAILURE, f"not sent: {reason}") for i in done]
            report.failed += done
        for (until, reason), group in deferred.items():
            done = set(transition(session, [n.id for n in group], CLAIMABLE_STATUSES, {"next_attempt_at": until}))
            events += [(n.id, n.status, f"deferred until {until.isoformat()}: {reason}") for n in group if n.id in done]
            report.deferred += [(n.id, until) for n in group if n.id in done]
        claimed = set(transition(session, [n.id for n in to_claim], CLAIMABLE_STATUSES, {
            "status": SENDING, "attempts": Notification.attempts + 1, "last_attempt_at": now,
            "next_attempt_at": None}))
        providers: dict[str, Provider] = {}
        local: list[tuple[Notification, Provider]] = []
        remote: list[tuple[Notification, Provider]] = []
        for notification in to_claim:
            if notification.id not in claimed:
                report.skipped.append(notification.id)
                continue
            provider = providers.get(notification.channel) or providers.setdefault(
                notification.channel, provider_for(notification.channel))
            notification.attempts += 1     # mirror the UPDATE on the detached snapshot
            events.append((notification.id, SENDING, f"attempt {notification.attempts} via {provider.name}"))
            (local if provider.local else remote).append((notification, provider))
        add_events(session, events)
        if local:
            _store_all(session, [(n, p, p.send(session, n)) for n, p in local], report)
    return remote


def _send_all(remote: list[tuple[Notification, Provider]]) -> tuple[list[Outcome], BaseException | None]:
    """Step 2: every send of the batch. Rows claimed again after an earlier attempt are reconciled
    with the provider first, one by one (the rare path); the rest go out together through
    `Provider.send_many` (concurrently for Twilio). Returns the outcomes and the first unexpected
    exception (whose rows get no outcome and stay `sending`)."""
    outcomes: list[Outcome] = []
    unexpected: BaseException | None = None
    by_provider: dict[int, list[tuple[Notification, Provider]]] = defaultdict(list)
    for notification, provider in remote:
        by_provider[id(provider)].append((notification, provider))
    for group in by_provider.values():
        provider = group[0][1]
        deadline = time.monotonic() + SEND_BUDGET
        fresh: list[Notification] = []
        answers: list[tuple[Notification, SendResult | BaseException]] = []
        for notification, _ in group:
            if notification.attempts > 1 and notification.provider_ref is None:
                answer = (_reconcile_then_send(notification, provider) if time.monotonic() < deadline
                          else NotAttempted())
                answers.append((notification, answer))
            else:
                fresh.append(notification)
        if fresh:
            answers += zip(fresh, provider.send_many(fresh, deadline=deadline))
        for notification, answer in answers:
            if isinstance(answer, TemporaryProviderError):
                answer = SendResult(status=TEMPORARY_FAILURE, error_message=str(answer)[:500])
            if isinstance(answer, BaseException):
                log.error("sending notification %s failed unexpectedly", notification.id, exc_info=answer)
                unexpected = unexpected or answer
            else:
                outcomes.append((notification, provider, answer))
    return outcomes, unexpected


def _reconcile_then_send(notification: Notification, provider: Provider) -> SendResult | BaseException:
    """An earlier attempt may have reached the provider: ask it, and send only when it has no record."""
    try:
        with session_scope() as session:
            found = provider.find(session, notification)
        if found is not None:
            log.info("notification %s was already accepted by %s as %s; not sent again",
                     notification.id, provider.name, found.reference)
            return found
        return provider.send(None, notification)
    except Exception as error:   # noqa: BLE001 - handed back as this message's answer
        return error


def _store_all(session: Session, outcomes: list[Outcome], report: DeliveryReport) -> None:
    """Step 3: record every provider answer in one UPDATE, only for rows still ours (sending, no
    MessageSid), and their history lines in one INSERT."""
    now = utcnow()
    intervals = retry_intervals()
    changes: dict[int, dict] = {}
    details: dict[int, tuple[str, str, str | None]] = {}    # id → (status, report list, detail)
    for notification, provider, result in outcomes:
        if result.status == TEMPORARY_FAILURE and notification.attempts >= max_attempts():
            changes[notification.id] = {"status": TECHNICAL_FAILURE, "error_code": None,
                                        "error_message": result.error_message, "next_attempt_at": None}
            details[notification.id] = (TECHNICAL_FAILURE, "failed",
                                        f"gave up after {notification.attempts} attempts: {result.error_message}")
        elif result.status == TEMPORARY_FAILURE:
            interval = intervals[min(notification.attempts - 1, len(intervals) - 1)]
            changes[notification.id] = {"status": TEMPORARY_FAILURE, "error_message": result.error_message,
                                        "next_attempt_at": now + timedelta(seconds=interval)}
            details[notification.id] = (TEMPORARY_FAILURE, "retrying", result.error_message)
        else:
            values = {"status": result.status, "provider": provider.name, "provider_ref": result.reference,
                      "error_code": result.error_code, "error_message": result.error_message}
            if result.reference:
                values["sent_at"] = now
            if result.status == DELIVERED:
                values["delivered_at"] = now
            changes[notification.id] = values
            kind = {PERMANENT_FAILURE: "failed", DELIVERED: "delivered"}.get(result.status, "accepted")
            details[notification.id] = (result.status, kind,
                                        f"{provider.name} {result.reference or ''} {result.error_code or ''}".strip())
    stored = set(transition_each(session, changes, (SENDING,), extra=(Notification.provider_ref.is_(None),)))
    # rows not stored: a status callback recorded the message first
    events = []
    for notification, _provider, result in outcomes:
        if notification.id not in stored:
            continue
        status, kind, detail = details[notification.id]
        events.append((notification.id, status, detail))
        getattr(report, kind).append(notification.id)
        if (status == PERMANENT_FAILURE and notification.channel == SMS
                and result.error_code == str(OPTED_OUT)):
            record_opt_out(session, notification.recipient, f"twilio {OPTED_OUT}")
    add_events(session, events)


def _schedule_deferred(deferred: list[tuple[int, datetime]]) -> None:
    from notify.jobs import enqueue_delivery_at

    by_time: dict[datetime, list[int]] = defaultdict(list)
    for notification_id, until in deferred:
        by_time[until].append(notification_id)
    for until, ids in by_time.items():
        enqueue_delivery_at(until, ids)
