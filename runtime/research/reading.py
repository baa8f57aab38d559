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


def judged_dsr(data: dict) -> tuple[float | None, str]:
    """The deflated Sharpe ratio to judge a sweep by, and a note on it.  After a pre-screen that is
    the one counting every screened variant as a trial (sweep.json ``prescreen.deflated_sharpe``):
    sweep.json's ``deflated_sharpe`` counts only the confirmed variants, the best K of the screen,
    which flatters the best."""
    pre = data.get("prescreen") or {}
    if "deflated_sharpe" not in pre:
        return data.get("deflated_sharpe"), ""
    confirmed = data.get("deflated_sharpe")
    return pre["deflated_sharpe"], (f"counting all {pre['variants']:,} screened variants as trials; over the "
                                    f"{len(pre['confirmed'])} confirmed only: "
                                    f"{'n/a' if confirmed is None else f'{confirmed:.3f}'}")
