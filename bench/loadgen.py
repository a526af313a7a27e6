"""Simulated applicants: N threads, each running multi-turn scripts one turn after the other.

Closed loop, no think time (every applicant sends its next message as soon as the previous one is
answered), so the figures measure capacity. Bounded: every applicant runs a fixed number of scripts.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import requests


@dataclass(frozen=True)
class Script:
    name: str
    turns: tuple[str, ...]


@dataclass
class TurnRecord:
    script: str
    index: int              # position of the turn in its script
    conversation: str       # the channel's conversation key (gateway conversation id, Rasa sender)
    latency: float          # seconds
    ok: bool
    replies: list[str] = field(default_factory=list)
    error: str | None = None


class Conversation(Protocol):
    key: str

    def send(self, text: str) -> list[str]:
        """One turn: send `text`, return the texts of the replies; raise on any failure."""


class Channel(Protocol):
    name: str

    def open(self, http: requests.Session) -> Conversation:
        """A new conversation of a new simulated applicant."""


@dataclass
class LoadResult:
    channel: str
    concurrency: int
    seconds: float
    records: list[TurnRecord]

    def latencies(self, keep: Callable[[TurnRecord], bool] = lambda r: True) -> list[float]:
        return [r.latency for r in self.records if r.ok and keep(r)]

    @property
    def errors(self) -> int:
        return sum(1 for r in self.records if not r.ok)


def run_script(channel: Channel, http: requests.Session, script: Script) -> list[TurnRecord]:
    conversation = channel.open(http)
    records = []
    for index, text in enumerate(script.turns):
        started = time.perf_counter()
        try:
            replies = conversation.send(text)
            records.append(TurnRecord(script.name, index, conversation.key, time.perf_counter() - started,
                                      True, replies))
        except Exception as error:  # a failed turn is counted, and the script goes on
            records.append(TurnRecord(script.name, index, getattr(conversation, "key", ""),
                                      time.perf_counter() - started, False, error=f"{type(error).__name__}: {error}"[:300]))
    return records


def run_load(channel: Channel, scripts: Sequence[Script], concurrency: int, scripts_per_applicant: int) -> LoadResult:
    """`concurrency` applicants start together; applicant i runs scripts i, i+1, ... (rotating)."""
    records: list[TurnRecord] = []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def applicant(number: int) -> None:
        with requests.Session() as http:
            barrier.wait()
            for round_ in range(scripts_per_applicant):
                script = scripts[(number + round_ * concurrency) % len(scripts)]
                done = run_script(channel, http, script)
                with lock:
                    records.extend(done)

    threads = [threading.Thread(target=applicant, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return LoadResult(channel.name, concurrency, time.perf_counter() - started, records)
