"""What a running sweep reports: done/total, the ETA, the best so far."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class ProgressState:
    total: int
    done: int = 0
    errors: int = 0
    resumed: int = 0  # runs taken from the journal of an earlier, stopped run
    started: float = field(default_factory=time.monotonic)
    best_variant: int | None = None
    best_value: float | None = None
    best_params: dict = field(default_factory=dict)
    objective: str = "sharpe"
    phase: str = ""

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta(self) -> float | None:
        """Seconds left, from this session's pace (runs taken from the journal cost nothing)."""
        ran = self.done - self.resumed
        if ran <= 0 or self.done >= self.total:
            return None if self.done < self.total else 0.0
        return self.elapsed / ran * (self.total - self.done)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def line(self) -> str:
        """``[12/64] 19% · 0:41 elapsed · ETA 2:55 · best #7 sharpe 1.23 (fast=12, slow=30)``"""
        parts = [f"[{self.done}/{self.total}] {self.fraction:.0%}", f"{_clock(self.elapsed)} elapsed"]
        if self.eta is not None:
            parts.append(f"ETA {_clock(self.eta)}")
        if self.best_variant is not None:
            value = "n/a" if self.best_value is None else f"{self.best_value:.4g}"
            params = ", ".join(f"{k}={v}" for k, v in self.best_params.items())
            parts.append(f"best #{self.best_variant} {self.objective} {value}" + (f" ({params})" if params else ""))
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors > 1 else ''}")
        if self.phase:
            parts.append(self.phase)
        return " · ".join(parts)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
