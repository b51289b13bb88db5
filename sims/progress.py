"""A minimal progress bar on standard error (no dependency)."""

from __future__ import annotations

import sys
import time


class Progress:
    """Throttled one-line progress display: fraction done, rate, time left.

    Disabled bars cost nothing; output is redrawn at most every 0.2 s, and only
    when standard error is a terminal (logs stay clean).
    """

    def __init__(self, total: int, desc: str = "", enabled: bool = True, unit: str = "coord-steps"):
        self.total = max(int(total), 1)
        self.desc = desc
        self.enabled = enabled and sys.stderr.isatty()
        self.unit = unit
        self.done = 0
        self.t0 = time.perf_counter()
        self._last = 0.0

    def update(self, n: int) -> None:
        self.done += int(n)
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < 0.2 and self.done < self.total:
            return
        self._last = now
        el = now - self.t0
        frac = min(self.done / self.total, 1.0)
        rate = self.done / el if el > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        sys.stderr.write(f"\r{self.desc} [{bar}] {100 * frac:5.1f}%  {rate / 1e6:7.1f} M {self.unit}/s  {left:6.1f} s left ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self._last = 0.0  # force a final redraw
            self.update(0)
            sys.stderr.write("\n")
            sys.stderr.flush()
