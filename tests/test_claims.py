"""An earlier assessment's claims read against the evidence (readiness.report.claims). The assessment below
is our own, in the shape of a hand-written one: status bullets, blocker headings, a checklist and a
table that are not claims, nested bullets, a claim no check decides."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from readiness.assess import rubric as rubric_mod
from readiness.assess.assessment import assess
from readiness.cli import main
from readiness.errors import ConfigError
from readiness.report import claims
from readiness.report import context as render_context

ASSESSMENT = """\
# Readiness of the Example Fleet

## What's Ready ✅

### Platform (80%)

- ✅ **Linkerd mTLS**: encrypted traffic
- ✅ **Network policies**: basic traffic control
- ⚠️ **MinIO**: storage exists
- ✅ **Coffee machine**: always on

| Area | Status |
|------|--------|
| ✅ Grafana | fine |

## What's Missing ❌

### Observability (40%)

- ❌ **AlertManager**: No alerting system
- ❌ **Operational runbooks** (10 needed):
  - Incident response
  - Restores
- ❌ **Troubleshooting guides**
- A plain bullet without a mark

## Production Blockers

### Blocker #1: No Alerting/Incident Management ❌

### Blocker #2: Insecure Secret Management ⚠️

## Production Criteria

- ✅ Production readiness >90%
"""


@pytest.fixture()
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "earlier.md"
    path.write_text(ASSESSMENT, encoding="utf-8")
    return path


def test_claims_are_read_with_their_line_section_and_polarity(doc: Path) -> None:
    df = claims.parse(doc)
    rows = {r["subject"]: r for r in df.iter_rows(named=True)}
    assert list(rows) == ["Linkerd mTLS", "Network policies", "MinIO", "Coffee machine", "AlertManager",
                          "Operational runbooks", "Troubleshooting guides", "Alerting/Incident Management",
                          "Insecure Secret Management"]
    assert (rows["Linkerd mTLS"]["line"], rows["AlertManager"]["line"], rows["Troubleshooting guides"]["line"]) \
        == (7, 20, 24)
    assert rows["Linkerd mTLS"]["section"] == "Platform (80%)"
    assert rows["AlertManager"]["section"] == "Observability (40%)"
    assert [rows[s]["polarity"] for s in ("Linkerd mTLS", "MinIO", "AlertManager")] == ["present", "partial", "absent"]
    assert rows["AlertManager"]["claim"] == "No alerting system"
    assert rows["Operational runbooks"]["claim"] == "(10 needed): Incident response; Restores"
    blocker = rows["Alerting/Incident Management"]
    assert (blocker["line"], blocker["kind"], blocker["polarity"], blocker["section"]) == \
        (29, "heading", "absent", "Production Blockers")
    assert rows["Insecure Secret Management"]["polarity"] == "gap"  # a shortcoming, not an absence


def test_a_subject_maps_to_the_checks_of_its_longest_terms() -> None:
    policy = claims.load_policy()
    assert policy.match("Linkerd mTLS")[0] == ["sec_mtls"]  # not the mesh check of "Linkerd" alone
    assert policy.match("Alerting/Incident Management")[0] == [
        "obs_alertmanager_running", "obs_paging_receiver", "obs_incident_management"]
    assert policy.match("Prometheusish exporter")[0] == []  # whole words only
    assert policy.match("Coffee machine") == ([], set())
    assert policy.match("Troubleshooting guides") == (["docs_troubleshooting"], {"docs_troubleshooting"})


def test_every_check_of_the_packaged_policy_is_in_the_rubric() -> None:
    known = set(rubric_mod.load().checks)
    used = {c for e in claims.load_policy().entries for c in e.checks}
    assert used and used <= known, sorted(used - known)


def _finding(cluster: str, check: str, status: str, reason: str, evidence: list[str] | None = None,
             source: str = "repo") -> dict[str, Any]:
    return {"snapshot_id": f"s-{cluster}", "cluster": cluster, "check_id": check, "status": status,
            "reason": reason, "evidence": evidence or [], "source": source}


def _judge(doc: Path, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    files = {"HelmRelease monitoring/kube-prometheus-stack": "infra/monitoring/helmrelease.yaml"}
    judged = claims.judge(claims.parse(doc), pl.DataFrame(rows),
                          files_of=lambda f: [files[e] for e in f["evidence"] if e in files])
    assert judged.columns == list(claims.JUDGED)
    return {r["subject"]: r for r in judged.iter_rows(named=True)}


def test_an_absence_claim_is_contradicted_by_a_passing_check_with_its_evidence(doc: Path) -> None:
    am = "HelmRelease monitoring/kube-prometheus-stack"
    got = _judge(doc, [
        _finding("edge", "obs_alertmanager_running", "pass", f"Alertmanager declared in {am}", [am]),
        _finding("core", "obs_alertmanager_running", "fail", "no Alertmanager declared in the repository"),
        _finding("edge", "obs_paging_receiver", "fail", "no paging receiver"),
        _finding("edge", "docs_runbooks_count", "fail", "0 runbooks of 10 wanted"),
        _finding("edge", "docs_troubleshooting", "unknown", "documents were not read"),
    ])
    am_claim = got["AlertManager"]
    assert (am_claim["verdict"], am_claim["status"]) == ("contradicted", "mixed")
    assert am_claim["evidence"] == [f"`obs_alertmanager_running` on edge: pass: Alertmanager declared in {am} "
                                    "(files: infra/monitoring/helmrelease.yaml)"]
    blocker = got["Alerting/Incident Management"]
    assert blocker["verdict"] == "contradicted"
    assert any(e.startswith("(does not hold) `obs_paging_receiver` on edge") for e in blocker["evidence"])
    assert got["Operational runbooks"]["verdict"] == "supported"
    assert got["Troubleshooting guides"]["verdict"] == "undecided"  # unknown never supports nor contradicts
    assert "unknown" in got["Troubleshooting guides"]["reason"]


def test_a_presence_claim_is_contradicted_only_where_the_evidence_can_show_absence(doc: Path) -> None:
    got = _judge(doc, [
        # a repository that does not declare NetworkPolicies says nothing of what a cluster runs
        _finding("edge", "sec_network_policies", "fail", "0/3 namespaces have a NetworkPolicy (declared)"),
        # a cluster snapshot does
        _finding("edge", "sec_mtls", "fail", "0/3 namespaces meshed", source="live"),
        _finding("edge", "backup_storage_available", "partial", "MinIO declared, not Ready"),
    ])
    assert got["Network policies"]["verdict"] == "undecided"
    assert "does not declare Network policies" in got["Network policies"]["reason"]
    assert got["Linkerd mTLS"]["verdict"] == "contradicted"
    assert got["MinIO"]["verdict"] == "supported"  # ⚠️ says partly there: a partial check agrees
    assert got["Coffee machine"]["verdict"] == "undecided" and got["Coffee machine"]["checks"] == []
    assert got["Coffee machine"]["status"] is None
    assert got["Insecure Secret Management"]["verdict"] == "undecided"


def test_what_the_repository_holds_itself_decides_a_presence_claim(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("## Docs\n\n- ✅ **Troubleshooting guides**: complete\n", encoding="utf-8")
    fail = [_finding("edge", "docs_troubleshooting", "fail", "no troubleshooting guide in the repository")]
    assert _judge(tmp_path / "a.md", fail)["Troubleshooting guides"]["verdict"] == "contradicted"
    na = [_finding("edge", "docs_troubleshooting", "not_applicable", "no documents here")]
    got = _judge(tmp_path / "a.md", na)["Troubleshooting guides"]
    assert (got["verdict"], got["status"], got["reason"]) == ("undecided", "not_applicable",
                                                             "not applicable: no documents here")


def test_two_properties_scope_needs_and_unverifiable_absence(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "## Platform\n\n- ✅ **Linkerd**: service mesh with mTLS\n- ✅ **Loki**: log aggregation\n"
        "- ✅ **ESO**: secret management operational\n- ❌ **PagerDuty**: No incident management\n"
        "- ✅ **Tempo**: tracing\n", encoding="utf-8")
    got = _judge(tmp_path / "a.md", [
        _finding("edge", "infra_service_mesh", "pass", "mesh declared"),
        _finding("core", "infra_service_mesh", "pass", "mesh declared"),
        _finding("edge", "sec_mtls", "partial", "1/5 namespaces meshed"),
        _finding("core", "sec_mtls", "fail", "0/4 namespaces meshed"),
        _finding("edge", "obs_loki", "pass", "log store declared"),
        _finding("core", "obs_loki", "fail", "no log store declared in the repository"),
        _finding("edge", "obs_tempo", "pass", "trace store declared"),
        _finding("core", "obs_tempo", "pass", "trace store declared"),
        _finding("edge", "sec_eso_installed", "partial", "ESO declared but no secret store declared"),
        _finding("core", "sec_eso_installed", "fail", "ESO is not declared in the repository"),
        _finding("edge", "sec_externalsecrets_synced", "fail", "no ExternalSecrets declared"),
        _finding("core", "sec_externalsecrets_synced", "fail", "no ExternalSecrets declared"),
        _finding("edge", "obs_paging_receiver", "pass", "pagerduty receiver routed"),
        _finding("edge", "obs_incident_management", "fail", "not attested: pagerduty_contract"),
    ])
    mesh = got["Linkerd"]  # the mesh holds, mTLS (the claim's own words) does not: not supported
    assert (mesh["verdict"], mesh["checks"]) == ("undecided", ["infra_service_mesh", "sec_mtls"])
    assert mesh["reason"] == ("it also says 'mtls', which decides it: no deciding check fails everywhere: "
                              "some are partial")
    assert "(holds) `infra_service_mesh` on core, edge: pass: mesh declared" in mesh["evidence"]
    loki = got["Loki"]
    assert (loki["verdict"], loki["reason"]) == ("supported", "it says present; it holds on edge only, not on core")
    assert loki["evidence"][-1] == ("(does not hold) `obs_loki` on core: fail: no log store declared in the "
                                    "repository")
    assert got["Tempo"]["reason"] == "it says present and a deciding check holds"  # everywhere: no scope said
    eso = got["ESO"]
    assert eso["verdict"] == "contradicted" and "`sec_externalsecrets_synced`" in eso["reason"]
    assert "(declared) `sec_eso_installed` on edge: partial: ESO declared but no secret store declared" in eso[
        "evidence"]
    pd = got["PagerDuty"]
    assert pd["verdict"] == "undecided" and "`obs_incident_management` does not pass" in pd["reason"]
    assert pd["checks"] == ["obs_paging_receiver", "obs_incident_management"]
    assert pd["evidence"] == ["`obs_incident_management` on edge: fail: not attested: pagerduty_contract",
                              "(declared) `obs_paging_receiver` on edge: pass: pagerduty receiver routed"]
    # attested: the passing receiver contradicts the absence
    attested = _judge(tmp_path / "a.md", [_finding("edge", "obs_paging_receiver", "pass", "routed"),
                                          _finding("edge", "obs_incident_management", "pass", "attested")])
    assert attested["PagerDuty"]["verdict"] == "contradicted"


def test_what_is_there_in_part_contradicts_an_absence(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "## Deployment\n\n- ❌ **CI/CD pipelines**: No automated build/test/deploy\n"
        "- ❌ **Automated testing**: No unit, integration, or E2E tests\n", encoding="utf-8")
    partial = _finding("edge", "deploy_ci_pipeline", "partial", "changes are built and tested only under some paths")
    got = _judge(tmp_path / "a.md", [
        partial,
        _finding("edge", "test_unit_coverage", "unknown", "CI measures coverage but no report is here"),
        _finding("edge", "test_integration", "fail", "no CI job does integration-test"),
        _finding("edge", "test_e2e", "fail", "no CI job does e2e-test")])
    ci, tests = got["CI/CD pipelines"], got["Automated testing"]
    assert (ci["verdict"], ci["reason"]) == (
        "contradicted", "it says absent, but `deploy_ci_pipeline` shows it is there, at least in part")
    assert ci["evidence"] == ["`deploy_ci_pipeline` on edge: partial: changes are built and tested only under "
                              "some paths"]
    assert tests["verdict"] == "contradicted" and "deploy_ci_pipeline" in tests["checks"]
    assert "(does not hold) `test_e2e` on edge: fail: no CI job does e2e-test" in tests["evidence"]
    # no CI job builds or tests anything: the absence is supported
    none = _judge(tmp_path / "a.md", [_finding("edge", "deploy_ci_pipeline", "fail", "changes are not built"),
                                      _finding("edge", "test_integration", "fail", "none"),
                                      _finding("edge", "test_e2e", "fail", "none")])
    assert none["CI/CD pipelines"]["verdict"] == none["Automated testing"]["verdict"] == "supported"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("marks: {'✅': there}\n", 1, "marks map a status mark"),
    ("claims:\n  - {terms: [x]}\n", 2, "'checks' must be a non-empty list"),
    ("claims:\n  - {terms: [x], checks: [y], why: z}\n", 2, "keys are terms, checks, repository_decides"),
    ("heading_claims: ['([']\n", 1, "not a regular expression"),
])
def test_a_bad_claims_policy_names_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "claims.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        claims.load_policy(tmp_path / "claims.yaml")
    assert f"claims.yaml:{line}" in str(err.value) and words in str(err.value)


def test_report_yaml_reference_path_is_relative_to_the_data_directory(tmp_path: Path) -> None:
    (tmp_path / "report.yaml").write_text("reference:\n  title: Earlier\n  path: earlier.md\n")
    with pytest.raises(ConfigError) as err:
        render_context.load(tmp_path)
    assert "report.yaml:3" in str(err.value) and "no file" in str(err.value)
    (tmp_path / "earlier.md").write_text(ASSESSMENT, encoding="utf-8")
    ref = render_context.load(tmp_path).reference
    assert ref is not None and ref.path == tmp_path / "earlier.md"


REPO = {
    "clusters/edge/infra.yaml": """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: infra, namespace: flux-system}
        spec:
          path: ./infra
          sourceRef: {kind: GitRepository, name: flux-system}
        """,
    "infra/monitoring/helmrelease.yaml": """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: kube-prometheus-stack, namespace: monitoring}
        spec:
          interval: 1h
          chart:
            spec:
              chart: kube-prometheus-stack
              sourceRef: {kind: HelmRepository, name: prometheus-community}
          values:
            alertmanager:
              enabled: true
        """,
}


def test_the_report_says_which_claims_a_repository_contradicts(tmp_path: Path, doc: Path) -> None:
    repo, data = tmp_path / "repo", tmp_path / "data"
    for name, text in REPO.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(dedent(text), encoding="utf-8")
    result = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--data", str(data)])
    assert result.exit_code == 0, result.output
    a = assess(data)
    assert claims.report_section(a, render_context.load(data)) == ""  # no reference: no section
    (data / "report.yaml").write_text(f"reference:\n  title: The earlier assessment\n  date: 2025-11-07\n"
                                      f"  path: {doc}\n")
    text = claims.report_section(a, render_context.load(data))
    assert text.startswith("## What the Earlier Assessment Says That the Evidence Contradicts\n")
    assert "repository snapshots: what the repository declares" in text and "**contradicts 2**" in text
    listed = text.split("### Claims")[0]
    assert "1. ✗ **AlertManager**: No alerting system (line 20, under *Observability (40%)*): contradicted" in listed
    assert "infra/monitoring/helmrelease.yaml" in listed and "Network policies" not in listed
    assert "### Claims not checked" in text and "| 10 | Platform (80%) | ✓ **Coffee machine**" in text

    from readiness.report._build import compute

    computed = compute(data, datetime.now(UTC).date(), None)
    assert computed is not None
    doc_json = json.loads(json.dumps(computed.numbers, default=str))
    counts = doc_json["claims"]["counts"]
    assert counts == {"contradicted": 2, "supported": 2, "undecided": 5}  # AlertManager and blocker #1
    alert = next(c for c in doc_json["claims"]["claims"] if c["subject"] == "AlertManager")
    assert alert["verdict"] == "contradicted" and alert["line"] == 20


# The claims of the hand-written assessment that the homelab repository contradicts, each checked by
# hand in the repository's files (never from readiness' output):
HOMELAB_CONTRADICTED = {
    # flux/infrastructure/prometheus-operator/helmrelease.yaml: values.alertmanager.enabled: true, in
    # 02-observability of air, pro and studio
    "AlertManager",
    # Not "PagerDuty: No incident management": the receiver 'pagerduty' is routed in the same file, but its
    # key is a service_key_file from Secret alertmanager-pagerduty (helmrelease.yaml:287-288), made by a Job,
    # and no PagerDuty contract is attested: undecided.
    # "CI/CD pipelines: No automated build/test/deploy" and blocker #1 "No CI/CD Pipelines": workflows on push
    # build and test, if only their own paths (agent-bruno-ci-cd.yml on flux/ai/agent-bruno/**,
    # infra-homepage.yml on flux/apps/homepage/..., operator-knative-lambda.yml on
    # flux/infrastructure/knative-lambda-operator/**)
    "CI/CD pipelines", "CI/CD Pipelines",
    # "Automated testing: No unit, integration, or E2E tests" and blocker #4: those jobs run unit tests
    # (_reusable-go-ci.yml: go test -race -coverprofile; operator-knative-lambda.yml: go test ./tests/unit/...)
    "Automated testing", "Automated Testing",
    # "ESO (GitHub): Secret management operational": no manifest holds a SecretStore, ClusterSecretStore or
    # ExternalSecret (grep of kind: finds them only in two Markdown files); pro's and studio's 07-apps
    # Kustomizations do not build, but only flux/infrastructure/postgres's configMapGenerator is beyond what
    # the built-in reader read of them (a ConfigMap), so they cannot hide one either
    "ESO (GitHub)",
    # .github/workflows/operator-knative-lambda.yml "Scan built image": aquasecurity/trivy-action, image-ref
    "Container scanning", "Trivy scanning",
    # HelmReleases with upgrade.remediation.retries: 3 (Flux rolls a failed upgrade back), e.g.
    # flux/infrastructure/flagger/helmrelease.yaml
    "Automated rollback",
    # docs/TROUBLESHOOTING.md ("Agent Troubleshooting Guide")
    "Troubleshooting guides",
    # "Operational runbooks" (15 needed) and blocker #6 "No Operational Runbooks": five runbooks exist, if fewer
    # than fifteen: flux/apps/homepage/docs/SECURITY_MONITORING.md "## Runbooks" (Brute Force Attack, DDoS
    # Attack, Coordinated Attack, each with its response steps) and docs/sre/homepage-reliability-plan.md
    # "## 7. Runbooks" (7.1 PostgreSQL WAL Corruption Recovery, 7.2 API Not Responding)
    "Operational runbooks", "Operational Runbooks",
    # blocker #3 "No Alerting/Incident Management": the Alertmanager and its PagerDuty receiver above
    "Alerting/Incident Management",
    # "DR plan: No documented recovery procedures": docs/sre/homepage-reliability-plan.md "## 5. Disaster
    # Recovery" (backup strategy with RTO/RPO per component) and "### 7.1 PostgreSQL WAL Corruption Recovery"
    # (five recovery steps), for the homepage's database
    "DR plan",
    # "Security runbooks: No incident response procedures": flux/apps/homepage/docs/SECURITY_MONITORING.md
    # "## Incident Response" (levels 1-3, what to do when an alert fires) and "## Runbooks" (brute force,
    # DDoS); SECURITY_HARDENING_GUIDE.md "## Incident Response" ("If Under Attack")
    "Security runbooks",
    # "RTO/RPO defined: No recovery targets": docs/sre/homepage-reliability-plan.md "### 5.1 Backup Strategy",
    # a table with RTO and RPO columns: PostgreSQL 30 min / 1 hour, PostgreSQL WAL 15 min / 5 min (Redis N/A)
    "RTO/RPO defined",
    # "SAST: No static application security testing": .github/workflows/operator-knative-lambda.yml:248-256
    # (job lint) runs golangci-lint with ../.golangci.yml, and flux/infrastructure/knative-lambda-operator/src/
    # .golangci.yml:18 enables gosec (a security analyser; the step has continue-on-error, so it only reports)
    "SAST",
}


def test_the_homelab_report_names_every_claim_its_repository_contradicts(tmp_path: Path) -> None:
    from tests.collect.test_fidelity import CORPUS

    repo = CORPUS / "brunovlucena-homelab"
    reference = CORPUS.parent / "reference" / "production-readiness-assessment.md"
    if not repo.is_dir() or not reference.is_file():
        pytest.skip(f"{repo} or {reference} is not checked out next to this repository")
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["collect", "--repo", str(repo), "--data", str(data)])
    assert result.exit_code == 0, result.output
    judged = claims.read_against(reference, assess(data)).to_dicts()
    got = {r["subject"] for r in judged if r["verdict"] == "contradicted"}
    assert got == HOMELAB_CONTRADICTED
    by = {(r["line"], r["subject"]): r for r in judged}
    assert "flux/infrastructure/prometheus-operator/helmrelease.yaml" in by[(77, "AlertManager")]["evidence"][0]
    # the Canary of flux/infrastructure/knative-lambda-operator/k8s/overlays/studio/canary.yaml is commented
    # out, and the repository declares no NetworkPolicy: neither claim may come out contradicted
    assert by[(101, "Canary deployments")]["verdict"] == "undecided"
    assert by[(114, "Network policies")]["verdict"] == "undecided"
    rto = by[(139, "RTO/RPO defined")]["evidence"]
    assert rto[0].startswith("`backup_rto_rpo_declared` on air, pro, studio: partial: ")  # a draft: proposed targets
    assert ("docs/sre/homepage-reliability-plan.md §5.1 Backup Strategy (line 560): PostgreSQL RTO 0.5 h / RPO 1 h, "
            "PostgreSQL WAL RTO 0.25 h / RPO 0.083 h") in rto[0]
    # ESO: declared on studio only (commented out in pro's 01-core), with no SecretStore/ClusterSecretStore
    # and no ExternalSecret anywhere: "operational" does not hold on any cluster
    eso = by[(53, "ESO (GitHub)")]
    assert eso["verdict"] == "contradicted" and "`sec_externalsecrets_synced`" in eso["reason"]
    assert ("`sec_externalsecrets_synced` on air, pro, studio: fail: no ExternalSecrets declared: application "
            "secrets do not come from a secret store") in eso["evidence"]
    assert ("(declared) `sec_eso_installed` on studio: partial: ESO declared in "
            "flux/infrastructure/external-secrets/helmrelease.yaml but no secret store declared") in eso["evidence"]
    # "Linkerd: Multi-cluster service mesh with mTLS": the mesh is declared, but of the application namespaces
    # each cluster gets, 1/19 on studio and 0/15 on pro are meshed: the mTLS part does not hold, so the claim
    # is not supported
    mesh = by[(55, "Linkerd")]
    assert mesh["verdict"] == "undecided" and "sec_mtls" in mesh["checks"]
    assert mesh["reason"].startswith("it also says 'mtls', which decides it: ")
    assert any(e.startswith("(holds) `infra_service_mesh` on air, pro, studio: pass") for e in mesh["evidence"])
    # Loki is declared in 02-observability of pro and studio, not air's: supported, saying where
    loki = by[(71, "Loki")]
    assert loki["verdict"] == "supported" and "holds on pro, studio only, not on air" in loki["reason"]
    # PagerDuty: the receiver is declared; its key and contract are not verifiable here
    pd = by[(78, "PagerDuty")]
    assert pd["verdict"] == "undecided" and "not verifiable" in pd["reason"]
    assert pd["evidence"][0].startswith("`obs_incident_management` on air, pro, studio: fail: not attested")
    assert any(e.startswith("(declared) `obs_paging_receiver` on air, pro, studio: pass") for e in pd["evidence"])
