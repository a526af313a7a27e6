"""Prometheus metrics of notify.

`notify_status_transitions_total{status}` counts transitions made in this process (workers, gateway).
The gateway's /metrics serves the default registry from another process than the workers, so
`install_db_collector()` adds `notify_messages{channel,status}`: the current count of rows per status,
read from the database at scrape time, which includes every worker's sends.
"""
from __future__ import annotations

import logging

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

log = logging.getLogger(__name__)

TRANSITIONS = Counter("notify_status_transitions", "Notification status transitions in this process", ["status"])


def count_transition(status: str, amount: int = 1) -> None:
    TRANSITIONS.labels(status=status).inc(amount)


def status_counts(session) -> dict[tuple[str, str], int]:
    from notify.models import Notification

    rows = session.execute(select(Notification.channel, Notification.status, func.count())
                           .group_by(Notification.channel, Notification.status))
    return {(channel, status): n for channel, status, n in rows}


class NotifyStatusCollector:
    """Reads status counts from the database when Prometheus scrapes."""

    def collect(self):
        from core.db import new_session
        from notify.models import CHANNELS, STATUSES

        family = GaugeMetricFamily("notify_messages", "Notifications by channel and current status",
                                   labels=["channel", "status"])
        session = new_session()
        try:
            counts = status_counts(session)
        except Exception:
            log.warning("notify metrics: database not readable", exc_info=True)
            return
        finally:
            session.close()
        for channel in CHANNELS:
            for status in STATUSES:
                family.add_metric([channel, status], counts.get((channel, status), 0))
        yield family

    def describe(self):
        return []   # no collection at registration time


_installed = None


def install_db_collector(registry=REGISTRY) -> NotifyStatusCollector:
    """Register the database-backed collector once per process (the gateway calls this)."""
    global _installed
    if _installed is None:
        _installed = NotifyStatusCollector()
        registry.register(_installed)
    return _installed
