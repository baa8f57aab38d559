"""Backtests: the engine set-up, the runner, metrics, report files and the worker process."""
