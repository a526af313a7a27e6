"""HMAC-SHA256 request signatures between Yici and workflow / department systems (both directions).

    X-Yici-Timestamp: 1795000000                      (Unix seconds when the request was signed)
    X-Yici-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body bytes)>

A request is accepted when the signature matches (constant-time compare), the timestamp is within
REPLAY_WINDOW of our clock, and the signature has not been seen before (`remember`, stored in
wf_received in the caller's transaction). Event bodies also carry an "id" remembered the same way.
The shared secret is settings.workflow_secret; with no secret configured every request is refused.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from integrations.models import ReceivedRequest

TIMESTAMP_HEADER = "X-Yici-Timestamp"
SIGNATURE_HEADER = "X-Yici-Signature"
SCHEME = "sha256="
REPLAY_WINDOW = timedelta(minutes=5)


class InvalidSignature(Exception):
    """The request is unsigned, forged, stale or replayed (the HTTP answer is 401)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers for an outgoing request with this exact body."""
    if not secret:
        raise ValueError("no shared secret configured (WORKFLOW_SECRET)")
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(secret, stamp, body),
            "Content-Type": "application/json"}


def verify(secret: str, timestamp: str | None, signed: str | None, body: bytes, now: float | None = None) -> str:
    """Check signature and freshness; return the signature (the replay key). Raise InvalidSignature."""
    if not secret:
        raise InvalidSignature("no shared secret configured")
    if not timestamp or not signed:
        raise InvalidSignature("missing signature headers")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise InvalidSignature("bad timestamp") from None
    now = time.time() if now is None else now
    if abs(now - stamp) > REPLAY_WINDOW.total_seconds():
        raise InvalidSignature("timestamp outside the replay window")
    if not hmac.compare_digest(signature(secret, timestamp, body), signed.strip()):
        raise InvalidSignature("signature mismatch")
    return signed.strip()


def remember(session: Session, key: str) -> None:
    """Record a signature or event id; InvalidSignature if it was already recorded (a replay).

    Two simultaneous copies both pass the check; the unique key makes the second flush or commit raise
    IntegrityError, which callers treat as a replay too (no savepoints: SQLite's driver commits them).
    """
    key = key[:128]
    if session.scalar(select(ReceivedRequest.id).where(ReceivedRequest.key == key)) is not None:
        raise InvalidSignature("replayed request")
    session.add(ReceivedRequest(key=key))
    session.flush()


def purge_received(session: Session, keep: timedelta = timedelta(days=30)) -> int:
    """Forget old signatures (they are stale anyway after REPLAY_WINDOW; event ids are kept longer)."""
    cutoff = datetime.now(timezone.utc) - max(keep, REPLAY_WINDOW * 2)
    result = session.execute(delete(ReceivedRequest).where(ReceivedRequest.received_at < cutoff))
    return result.rowcount or 0
