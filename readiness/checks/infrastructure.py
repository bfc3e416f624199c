"""Checks of the infrastructure family."""
