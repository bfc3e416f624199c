"""Checks of the observability family."""
