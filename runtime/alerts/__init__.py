"""Alerts: the bot's events sent to phones and inboxes through Apprise (issue #18)."""
