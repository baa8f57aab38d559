"""Backtests: RuleStrategy, the runner, metrics and report files."""
