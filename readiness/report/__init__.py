"""Reporting: the monthly report (notebooks, figures, Quarto or pandoc, PDF), its prose and tables.

Public modules: ``figures`` (the plotly figures the notebooks draw), ``sections`` (the report's
prose sections), ``tables`` (display tables of an assessment), ``context`` (``report.yaml``: what
no cluster shows), ``site`` (the reports site), ``metrics`` (Prometheus metrics of an assessment),
``claims`` (an earlier hand-written assessment's claims read against the evidence).
Private: ``_build`` (this package's names below), ``_render`` (Quarto or the built-in pandoc
renderer), ``_source`` and ``_notebook`` (reading the Quarto source and executed notebooks),
``_export`` (static figure export with kaleido and Chromium), ``_pdf`` (printing with Chromium).

    >>> from readiness import report
    >>> report.build(data="data/demo")   # reports/YYYY-MM/
"""

from __future__ import annotations

from readiness.report._build import (
    NOTEBOOKS,
    NOTEBOOKS_DIRS,
    PR_SET_PDEATHSIG,
    STAGING,
    STEM,
    TEMPLATE,
    Progress,
    ReportResult,
    build,
    notebook_dir,
    refuse_without_evidence,
    remove_leftovers,
    run_notebooks,
    write_index,
)

# the public modules (not imported here)
MODULES = ("claims", "context", "figures", "metrics", "sections", "site", "tables")

__all__ = [
    "NOTEBOOKS",
    "NOTEBOOKS_DIRS",
    "PR_SET_PDEATHSIG",
    "STAGING",
    "STEM",
    "TEMPLATE",
    "Progress",
    "ReportResult",
    "build",
    "notebook_dir",
    "refuse_without_evidence",
    "remove_leftovers",
    "run_notebooks",
    "write_index",
]
