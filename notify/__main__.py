"""Operator commands: python -m notify {lint,outbox,failed,requeue,sweep}.

`outbox --json` is a stable interface: a JSON list of {id, to, channel, template, body, status, attempts,
provider, provider_ref, error_code, timestamps{created_at, last_attempt_at, sent_at, delivered_at,
updated_at}, history[{status, detail, at}]}.
"""
from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import select

from core.db import session_scope
from notify.models import FAILED_STATUSES, TECHNICAL_FAILURE, TEMPORARY_FAILURE, Notification


# --- lint
def lint_rows() -> list[dict]:
    from jinja2 import TemplateError

    from core.config import get_settings
    from notify.messages import MESSAGE_TYPES, encoding, render, segments
    from notify.models import CHAT, SMS

    signature = get_settings().sms_signature
    rows = []
    for kind in MESSAGE_TYPES.values():
        for channel in (SMS, CHAT):
            row = {"template": kind.name, "channel": channel, "ok": True, "problems": []}
            try:
                body = render(kind.name, channel, kind.sample)
            except (TemplateError, OSError) as error:
                row.update(ok=False, problems=[f"render failed: {error}"])
                rows.append(row)
                continue
            missing = [k for k in kind.keys if k not in kind.sample]
            if missing:
                row["problems"].append(f"sample lacks {missing}")
            row.update(chars=len(body), body=body)
            if channel == SMS:
                row.update(encoding=encoding(body), segments=segments(body), budget=kind.sms_budget)
                if not body.startswith(signature):
                    row["problems"].append("does not begin with the signature")
                if row["segments"] > kind.sms_budget:
                    row["problems"].append(f"{row['segments']} segments, budget {kind.sms_budget}")
            row["ok"] = not row["problems"]
            rows.append(row)
    return rows


def cmd_lint(args) -> int:
    rows = lint_rows()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            size = (f"{row.get('chars', 0):4d} chars {row.get('encoding', ''):5s} "
                    f"{row.get('segments', '-')}/{row.get('budget', '-')} segments") if row.get("chars") else ""
            mark = "ok  " if row["ok"] else "FAIL"
            print(f"{mark} {row['template']:22s} {row['channel']:4s} {size} {'; '.join(row['problems'])}")
    failed = [r for r in rows if not r["ok"]]
    print(f"{len(rows) - len(failed)}/{len(rows)} templates within budget", file=sys.stderr)
    return 1 if failed else 0


# --- outbox
def notification_to_dict(notification: Notification, history=None) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    out = {"id": notification.id, "to": notification.recipient, "channel": notification.channel,
           "template": notification.template, "body": notification.body, "status": notification.status,
           "attempts": notification.attempts, "provider": notification.provider,
           "provider_ref": notification.provider_ref, "error_code": notification.error_code,
           "event_key": notification.event_key,
           "timestamps": {"created_at": iso(notification.created_at), "last_attempt_at": iso(notification.last_attempt_at),
                          "sent_at": iso(notification.sent_at), "delivered_at": iso(notification.delivered_at),
                          "next_attempt_at": iso(notification.next_attempt_at),
                          "updated_at": iso(notification.updated_at)}}
    if history is not None:
        out["history"] = [{"status": e.status, "detail": e.detail, "at": iso(e.created_at)} for e in history]
    return out


def list_notifications(session, to: str | None = None, statuses=None, limit: int = 100) -> list[Notification]:
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if to:
        from core.identity import InvalidIdentifier, normalise_mobile

        try:
            to = normalise_mobile(to)
        except InvalidIdentifier:
            pass   # a conversation id
        query = query.where(Notification.recipient == to)
    if statuses:
        query = query.where(Notification.status.in_(statuses))
    return list(session.scalars(query))


def _print(rows: list[Notification], session, as_json: bool) -> None:
    from notify.history import history

    if as_json:
        print(json.dumps([notification_to_dict(n, history(session, n.id)) for n in rows], ensure_ascii=False, indent=2))
        return
    for n in rows:
        print(f"#{n.id} {n.channel:4s} {n.recipient} {n.template} [{n.status}] attempts={n.attempts} "
              f"{n.created_at:%Y-%m-%d %H:%M:%S}\n    {n.body}")


def cmd_outbox(args) -> int:
    with session_scope() as session:
        _print(list_notifications(session, args.to, [args.status] if args.status else None, args.limit),
               session, args.json)
    return 0


def cmd_failed(args) -> int:
    from rq.registry import FailedJobRegistry

    from core.queues import NOTIFY, get_queue

    with session_scope() as session:
        _print(list_notifications(session, args.to, FAILED_STATUSES, args.limit), session, args.json)
    failed_jobs = FailedJobRegistry(queue=get_queue(NOTIFY)).get_job_ids()
    print(f"{len(failed_jobs)} failed RQ job(s) in the notify queue", file=sys.stderr)
    return 0


def requeue(ids: list[int] | None = None) -> list[int]:
    """Give failed rows another chance: technical failures (or the given ids). The attempt count stays
    at least 1, so the next attempt asks the provider before re-sending."""
    from notify.delivery import transition
    from notify.history import add_event
    from notify.outbox import enqueue_ready

    with session_scope() as session:
        if ids:
            candidates = ids
            statuses = FAILED_STATUSES
        else:
            candidates = list(session.scalars(select(Notification.id).where(Notification.status == TECHNICAL_FAILURE)))
            statuses = (TECHNICAL_FAILURE,)
        rows = {n.id: n for n in session.scalars(select(Notification).where(Notification.id.in_(candidates)))}
        changed = []
        for notification_id, n in rows.items():
            if transition(session, [notification_id], statuses, {
                    "status": TEMPORARY_FAILURE, "attempts": min(n.attempts, 1), "next_attempt_at": None}):
                add_event(session, notification_id, TEMPORARY_FAILURE, "requeued by an operator")
                changed.append(notification_id)
    enqueue_ready(changed)
    return sorted(changed)


def cmd_requeue(args) -> int:
    from rq.registry import FailedJobRegistry

    from core.queues import NOTIFY, get_queue

    changed = requeue(args.id)
    registry = FailedJobRegistry(queue=get_queue(NOTIFY))
    for job_id in registry.get_job_ids():
        registry.remove(job_id, delete_job=True)   # their rows were requeued above (or are final)
    print(f"requeued {len(changed)} notification(s): {changed}")
    return 0


def cmd_sweep(args) -> int:
    from notify.sweeper import sweep

    report = sweep()
    print(f"interrupted {len(report.interrupted)}, requeued {len(report.requeued)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notify", description="Yici notifications")
    sub = parser.add_subparsers(dest="command", required=True)
    lint = sub.add_parser("lint", help="render every template with sample data; check SMS segment budgets")
    lint.add_argument("--json", action="store_true")
    lint.set_defaults(func=cmd_lint)
    for name, func, helptext in (("outbox", cmd_outbox, "list notifications, newest first"),
                                 ("failed", cmd_failed, "list permanent and technical failures")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--to", help="phone number or conversation id")
        p.add_argument("--limit", type=int, default=100)
        p.add_argument("--json", action="store_true")
        if name == "outbox":
            p.add_argument("--status")
        p.set_defaults(func=func)
    req = sub.add_parser("requeue", help="retry technical failures (or the given ids)")
    req.add_argument("--id", type=int, action="append")
    req.set_defaults(func=cmd_requeue)
    sw = sub.add_parser("sweep", help="queue rows a crash or Redis restart left behind")
    sw.set_defaults(func=cmd_sweep)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
