"""Evidence names what decided a finding: the objects that carry the setting, not their neighbours."""

from __future__ import annotations

from pathlib import Path

from readiness.assess.testing import run_fixture

FIXTURES = Path(__file__).parent


def test_a_namespace_meshed_by_its_pod_templates_cites_the_workloads() -> None:
    # the namespace carries no annotation: its Deployment's pod template asks for the proxy
    result = run_fixture(FIXTURES / "sec_mtls" / "pass_pod_template_annotations.yaml")
    assert result.status == "pass"
    assert list(result.evidence) == ["Deployment/shop/shop"]


def test_an_annotated_namespace_is_its_own_evidence() -> None:
    result = run_fixture(FIXTURES / "sec_mtls" / "pass_linkerd.yaml")
    assert result.status == "pass" and list(result.evidence) == ["Namespace/agent-bruno", "Namespace/api"]
