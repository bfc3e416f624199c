"""Fixtures of tests/: the session's demo fleet comes from the root conftest.py (``demo_dir``)."""
