"""Figures the benchmark reports: percentiles, ratios against a baseline, target verdicts.

Pure functions, no Django, so the harness test can check them without servers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field


def percentile(samples: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (the value at or below which `pct`% of samples fall).

    Nearest-rank never invents a latency nobody saw, unlike interpolation; with few samples
    p99 is simply the largest but one or the largest.
    """
    if not samples:
        return math.nan
    if not 0 < pct <= 100:
        raise ValueError("percentile must be in (0, 100]")
    ordered = sorted(samples)
    rank = math.ceil(pct / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def ratio(measured: float, baseline: float) -> float:
    """measured / baseline; NaN when either is missing or the baseline is zero."""
    if baseline is None or measured is None:
        return math.nan
    if math.isnan(measured) or math.isnan(baseline) or baseline == 0:
        return math.nan
    return measured / baseline


@dataclass(frozen=True)
class Target:
    """A ratio and the bound it must meet: `at_least` (throughput) or `at_most` (latency, RSS)."""

    name: str
    value: float
    bound: float
    kind: str  # "at_least" | "at_most" | "exactly"
    unit: str = "×"  # "" for counts (orders, errors)

    @property
    def met(self) -> bool | None:
        if self.value is None or math.isnan(self.value):
            return None
        if self.kind == "at_least":
            return self.value >= self.bound
        if self.kind == "at_most":
            return self.value <= self.bound
        if self.kind == "exactly":
            return self.value == self.bound
        raise ValueError(f"unknown target kind {self.kind!r}")

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "N/A"}[self.met]

    def line(self) -> str:
        sign = {"at_least": "≥", "at_most": "≤", "exactly": "="}[self.kind]
        if self.met is None:
            shown = "—"
        elif self.unit:
            shown = f"{self.value:.2f}{self.unit}"
        else:
            shown = f"{self.value:g}"
        return (
            f"{self.verdict:4}  {self.name:<48} {shown:>8}  "
            f"(target {sign} {self.bound:g}{self.unit})"
        )


@dataclass
class LoadResult:
    """One load run against one URL."""

    label: str
    url: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int = 0
    errors: int = 0
    tool: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else math.nan

    def as_dict(self) -> dict:
        return {**asdict(self), "rps": self.rps}

    def line(self) -> str:
        bad = f"  non-2xx {self.non_2xx}" if self.non_2xx else ""
        bad += f"  socket errors {self.errors}" if self.errors else ""
        return (
            f"{self.label:<34} {self.rps:9.1f} req/s   p50 {self.p50_ms:7.2f} ms"
            f"   p99 {self.p99_ms:7.2f} ms{bad}"
        )


def best_of(results: Sequence[LoadResult]) -> LoadResult:
    """The run with the highest throughput: repeated runs on a shared machine are only ever
    slowed down by noise, never sped up, so the best is the least disturbed."""
    if not results:
        raise ValueError("no results")
    return max(results, key=lambda r: (r.non_2xx == 0 and r.errors == 0, r.rps))
