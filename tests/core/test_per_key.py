"""core.per_key.OncePerKey: one object per key, made once however many threads ask together."""
from __future__ import annotations

import threading
import time

from core.per_key import OncePerKey

THREADS = 24


def test_threads_asking_together_get_the_one_object_made_once():
    made: list[str] = []

    def make(key: str) -> object:
        made.append(key)
        time.sleep(0.05)   # a slow constructor: every thread arrives while the first is still making it
        return object()

    objects = OncePerKey(make)
    barrier = threading.Barrier(THREADS)
    got: list[object] = []

    def ask() -> None:
        barrier.wait()
        got.append(objects.get("redis://x"))

    threads = [threading.Thread(target=ask) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert made == ["redis://x"]
    assert len(got) == THREADS and all(obj is got[0] for obj in got)


def test_keys_are_apart_and_clear_closes_each_then_forgets():
    objects = OncePerKey(lambda key: [key])
    first, second = objects.get("a"), objects.get("b")
    assert first == ["a"] and second == ["b"] and objects.get("a") is first
    closed = []
    objects.clear(close=closed.append)
    assert sorted(map(tuple, closed)) == [("a",), ("b",)]
    assert objects.get("a") is not first
