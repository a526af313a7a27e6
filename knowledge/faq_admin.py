"""Adding reviewer-approved FAQ entries (e.g. an expert's answer to an escalated question).

Entries go to ``<data dir>/faq/approved.yaml`` (data dir: env ``KNOWLEDGE_DATA_DIR`` or knowledge/data).
The entry is validated with the FAQ model, and the whole FAQ set is re-checked for duplicate ids,
before anything is written; the file is replaced atomically (temp file + rename) under a file lock, so
concurrent approvals from several processes do not lose each other's entries. Running processes see
the entry on their next query (this process at once; others within ``retrieval.CHECK_INTERVAL_SECONDS``).
"""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import yaml

from knowledge import retrieval
from knowledge.faq import FaqError, faq_dir, load_faq, parse_entry, read_faq_file

APPROVED_FILE = "approved.yaml"
HEADER = ("# Reviewer-approved FAQ entries, written by knowledge/faq_admin.py (add_approved_entry).\n"
          "# Edit with care: the file is rewritten on every approval.\n")


def approved_path() -> Path:
    return faq_dir() / APPROVED_FILE


@contextmanager
def _locked(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".approved.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _new_id(existing: set[str], today: dt.date) -> str:
    number = 1
    while f"approved-{today:%Y%m%d}-{number}" in existing:
        number += 1
    return f"approved-{today:%Y%m%d}-{number}"


def _write_atomically(path: Path, entries: list[dict]) -> None:
    text = HEADER + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, default_flow_style=False, width=120)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".approved-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def add_approved_entry(question: str, paraphrases: list[str], answer: str, source: str, reviewer: str, *,
                       confidence: str = "S", topic: str = "approved", related_items: list[str] | None = None,
                       today: dt.date | None = None) -> str:
    """Validate and append one entry to approved.yaml; returns its new id. Raises FaqError when invalid."""
    if not (reviewer or "").strip():
        raise FaqError("approved entry: field 'reviewer': the reviewer's name is required")
    today = today or dt.date.today()
    path = approved_path()
    with _locked(path.parent):
        existing_ids = {entry.id for entry in load_faq(path.parent)}
        raw = {
            "id": _new_id(existing_ids, today),
            "question": (question or "").strip(),
            "paraphrases": [p.strip() for p in (paraphrases or []) if p and p.strip()],
            "answer": (answer or "").strip(),
            "source": (source or "").strip(),
            "confidence": confidence,
            "topic": topic,
            "related_items": list(related_items or []),
            "reviewer": reviewer.strip(),
            "approved_on": today,
        }
        entry = parse_entry(raw, where="approved entry")
        current = read_faq_file(path) if path.exists() else []
        records = [e.model_dump(mode="python", exclude_none=True, exclude_defaults=False) for e in current]
        records.append(entry.model_dump(mode="python", exclude_none=True))
        _write_atomically(path, records)
    retrieval.invalidate()
    return entry.id
