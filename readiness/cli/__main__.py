"""``python -m readiness.cli``: the ``readiness`` command (``readiness.cli.main``)."""

from readiness.cli import main

main()
