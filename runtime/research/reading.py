"""The overfitting figures in plain words (the CLI and the app say the same thing)."""

from __future__ import annotations

DSR_TRUST = 0.95  # a Deflated Sharpe Ratio below this: the best Sharpe may be luck
PBO_WORRY = 0.5  # a PBO above this: the in-sample best is more often than not below the median out of sample


def reading(dsr: float | None, pbo: float | None) -> str:
    if dsr is None and pbo is None:
        return "Not enough ok variants or days to judge overfitting."
    luck = (dsr is not None and dsr < DSR_TRUST) or (pbo is not None and pbo > PBO_WORRY)
    parts = []
    if dsr is not None:
        parts.append(f"after allowing for the number of variants tried, the best Sharpe ratio is real "
                     f"with a probability of {dsr:.0%}")
    if pbo is not None:
        parts.append(f"in {pbo:.0%} of the in-sample/out-of-sample splits, the in-sample winner did worse "
                     "than the median variant out of sample")
    verdict = ("The best variant's Sharpe is likely luck" if luck
               else "The best variant's edge holds up against the number of variants tried")
    return f"{verdict}: " + "; ".join(parts) + "."
