"""Checks of the backup family."""
