"""Simulated applicants: N threads, each running multi-turn scripts one turn after the other.

Closed loop, no think time (every applicant sends its next message as soon as the previous one is
answered), so the figures measure capacity. Bounded: every applicant runs a fixed number of scripts,
applicant i scripts i, i+1, ... (rotating), so that every applicant's plan has about the same length.

Steady state: the figures of a run at N applicants are those of the turns that ended while all N were
still at work (`LoadResult.steady`), from the start of the clock until the first applicant ran out of
scripts. After that fewer than N applicants load the server, which is a lower level, not this one.

With an `opener`, every conversation is opened before the clock starts: the opener is sent to it first
(`channel.opener_sends` times, default once), untimed, so the work Rasa does once per conversation (the
session start) is not part of the measured turns. Its records have index OPENER_INDEX and count in no
figure (they let the trackers line up).
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import requests


OPENER_INDEX = -1


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
    ended: float = math.nan  # when the turn ended, in seconds since the clock started (timed turns only)


class Conversation(Protocol):
    key: str

    def send(self, text: str) -> list[str]:
        """One turn: send `text`, return the texts of the replies; raise on any failure."""


class Channel(Protocol):
    name: str
    opener_sends: int   # optional (default 1): how many times the untimed opener is sent to a new conversation

    def open(self, http: requests.Session) -> Conversation:
        """A new conversation of a new simulated applicant."""


@dataclass
class LoadResult:
    channel: str
    concurrency: int
    seconds: float
    records: list[TurnRecord]
    steady_seconds: float = math.nan   # until the first applicant finished its plan (all were at work till then)

    @property
    def timed(self) -> list[TurnRecord]:
        """The measured turns (not the untimed openers)."""
        return [r for r in self.records if r.index != OPENER_INDEX]

    def latencies(self, keep: Callable[[TurnRecord], bool] = lambda r: True) -> list[float]:
        return [r.latency for r in self.timed if r.ok and keep(r)]

    @property
    def errors(self) -> int:
        return sum(1 for r in self.timed if not r.ok)

    def steady(self) -> "LoadResult":
        """The run cut to its steady state: the turns that ended while every applicant was at work, over
        that time (the openers are kept: they count nowhere, and the trackers line up with them)."""
        if math.isnan(self.steady_seconds):
            return self
        kept = [r for r in self.records if r.index == OPENER_INDEX or r.ended <= self.steady_seconds]
        return LoadResult(self.channel, self.concurrency, self.steady_seconds, kept, self.steady_seconds)

    @classmethod
    def pooled(cls, results: Sequence["LoadResult"]) -> "LoadResult":
        """Several runs of one channel at one level as one: their turns together, their seconds summed."""
        first = results[0]
        return cls(first.channel, first.concurrency, sum(r.seconds for r in results),
                   [record for r in results for record in r.records])


def send_turns(conversation: Conversation, script: Script, turns, clock: float | None = None) -> list[TurnRecord]:
    """Send (index, text) turns one after the other, timing each; `ended` is counted from `clock`
    (a time.perf_counter() reading; None for the untimed openers)."""
    records = []
    for index, text in turns:
        started = time.perf_counter()
        try:
            replies = conversation.send(text)
            ok, error = True, None
        except Exception as failure:  # a failed turn is counted, and the script goes on
            replies, ok, error = [], False, f"{type(failure).__name__}: {failure}"[:300]
        ended = time.perf_counter()
        records.append(TurnRecord(script.name, index, getattr(conversation, "key", ""), ended - started, ok,
                                  replies, error, math.nan if clock is None else ended - clock))
    return records


def run_load(channel: Channel, scripts: Sequence[Script], concurrency: int, scripts_per_applicant: int,
             opener: str | None = None) -> LoadResult:
    """`concurrency` applicants start together; applicant i runs scripts i, i+1, ... (rotating).
    With `opener`, each applicant's conversations are all opened with it before the clock starts."""
    records: list[TurnRecord] = []
    finished: list[float] = []
    lock = threading.Lock()
    clock: dict[str, float] = {}
    # The clock starts when the last applicant has opened its conversations, before any is let go.
    barrier = threading.Barrier(concurrency + 1, action=lambda: clock.update(started=time.perf_counter()))

    def applicant(number: int) -> None:
        with requests.Session() as http:
            plan = [scripts[(number + round_) % len(scripts)] for round_ in range(scripts_per_applicant)]
            opened = []
            for script in plan:
                conversation = channel.open(http)
                first = (send_turns(conversation, script, [(OPENER_INDEX, opener)] * getattr(channel, "opener_sends", 1))
                         if opener is not None else [])
                opened.append((script, conversation, first))
            barrier.wait()
            done = [send_turns(conversation, script, enumerate(script.turns), clock["started"])
                    for script, conversation, _first in opened]
            with lock:
                finished.append(time.perf_counter() - clock["started"])
                for (_script, _conversation, first), turns in zip(opened, done):
                    records.extend(first + turns)

    threads = [threading.Thread(target=applicant, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    return LoadResult(channel.name, concurrency, time.perf_counter() - clock["started"], records,
                      steady_seconds=min(finished, default=math.nan))
