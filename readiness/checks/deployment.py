"""Checks of the deployment family."""
