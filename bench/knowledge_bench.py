"""Guideline Q&A latency: knowledge.retrieval.ask over held-out questions (in scope and out of scope),
beside a naive baseline that scores every FAQ wording with difflib (what a first version would do).

One thread, in process: this is the cost one action-server call pays for retrieval.
"""
from __future__ import annotations

import difflib
import time
from dataclasses import dataclass

import yaml

from bench.stats import Summary, summarise
from core.config import ROOT

HELDOUT = ROOT / "knowledge" / "eval" / "heldout.yaml"
ROUNDS = 3


def questions() -> list[str]:
    data = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    inside = [q for qs in (data.get("in_scope") or {}).values() for q in qs]
    return inside + list(data.get("out_of_scope") or [])


def naive_ask(wordings: list[tuple[str, str]], question: str) -> str | None:
    best = max(wordings, key=lambda w: difflib.SequenceMatcher(None, question, w[1]).ratio())
    return best[0] if difflib.SequenceMatcher(None, question, best[1]).ratio() >= 0.5 else None


@dataclass
class KnowledgeFigures:
    cold_seconds: float      # first query in a fresh process state: index built
    warm: Summary
    baseline: Summary
    queries: int


def _timed(fn, items, rounds) -> Summary:
    latencies = []
    started = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            t0 = time.perf_counter()
            fn(item)
            latencies.append(time.perf_counter() - t0)
    return summarise(latencies, time.perf_counter() - started)


def run(rounds: int = ROUNDS) -> KnowledgeFigures:
    from knowledge import retrieval
    from knowledge.faq import load_faq

    items = questions()
    retrieval.invalidate()
    t0 = time.perf_counter()
    retrieval.ask(items[0])
    cold = time.perf_counter() - t0
    warm = _timed(retrieval.ask, items, rounds)
    wordings = [(e.id, w) for e in load_faq() for w in (e.question, *e.paraphrases)]
    baseline = _timed(lambda q: naive_ask(wordings, q), items, rounds)
    return KnowledgeFigures(cold_seconds=cold, warm=warm, baseline=baseline, queries=len(items))
