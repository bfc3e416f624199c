"""Checks of the documentation family."""
