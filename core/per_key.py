"""A process-wide cache of one object per key, made once even when many threads ask for it at once."""
from __future__ import annotations

import threading
from typing import Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OncePerKey(Generic[K, V]):
    """`get(key)` returns the object `make(key)` made the first time (double-checked under a lock).

    A plain `if key not in cache: cache[key] = make(key)` lets threads that ask together each make one;
    the losers' objects are dropped while in use (a dropped redis client closes its pool when collected)."""

    def __init__(self, make: Callable[[K], V]):
        self._make = make
        self._objects: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V:
        obj = self._objects.get(key)
        if obj is None:
            with self._lock:
                obj = self._objects.get(key)
                if obj is None:
                    obj = self._objects[key] = self._make(key)
        return obj

    def clear(self, close: Callable[[V], object] | None = None) -> None:
        """Forget every object, closing each with `close` first."""
        with self._lock:
            for obj in self._objects.values():
                if close is not None:
                    close(obj)
            self._objects.clear()
