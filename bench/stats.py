"""Latency and throughput summaries (milliseconds; nearest-rank percentiles, no interpolation)."""
from __future__ import annotations

import math
from dataclasses import dataclass


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of `values` (p in 0..100); NaN for an empty list."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """count, throughput and latency percentiles of one measured run."""

    count: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else math.nan


def summarise(latencies_s: list[float], seconds: float, errors: int = 0) -> Summary:
    ms = [v * 1000 for v in latencies_s]
    return Summary(count=len(ms), errors=errors, seconds=seconds, p50_ms=percentile(ms, 50),
                   p95_ms=percentile(ms, 95), p99_ms=percentile(ms, 99), max_ms=max(ms) if ms else math.nan)


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) and not math.isnan(a) else math.nan
