"""Fact extractors for Helm-installed components: what a HelmRelease's (or an Argo CD Application's)
values configure, stored as derived facts (``readiness.collect.configfacts``), never the values.
"""

from __future__ import annotations
