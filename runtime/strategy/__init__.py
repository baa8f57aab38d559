"""The trading core shared by backtests and the live bot: RuleStrategy, its config, order decisions, bar types, the cycle recorder, simulated instruments."""
