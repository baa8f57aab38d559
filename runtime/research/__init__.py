"""Research at scale (SPEC §6.2): parameter sweeps, walk-forward, overfitting statistics.

Every variant is an ordinary backtest run by ``rbts.runtime.backtest.runner.run_backtest``;
this package only decides which runs to make, where they run (local worker processes or a
Ray cluster), and what the results say together.
"""
