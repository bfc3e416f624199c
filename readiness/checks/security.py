"""Checks of the security family."""
