"""The risk register: loading risks.yaml, likelihood from evidence, status with reasons, the matrix."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from readiness.errors import ConfigError
from readiness.plan import load_plan
from readiness.plan import risks as rk
from readiness.plan.risks import Risk, current_likelihood, load_risks, matrix, register
from readiness.report.figures import risk_matrix as risk_matrix_figure
from tests.plan.helpers import PLAN_YAML, RISKS_YAML, RUBRIC, finding, findings, friday, write

PLAN = load_plan(PLAN_YAML, rubric=RUBRIC)
RISKS_TEXT = RISKS_YAML.read_text(encoding="utf-8")
V, D, W = "backup_velero_installed", "backup_schedule_daily", "backup_schedule_weekly"


def _load(text: str, tmp_path: Path) -> tuple[Risk, ...]:
    return load_risks(write(tmp_path, "risks.yaml", text), rubric=RUBRIC, plan=PLAN)


def test_the_assessments_nine_risks() -> None:
    risks = load_risks(RISKS_YAML, rubric=RUBRIC, plan=PLAN)
    assert [r.id for r in risks] == [f"R{i}" for i in range(1, 10)]
    table = {r.title: (r.impact, r.likelihood) for r in risks}
    assert table == {
        "Data loss (no backups)": ("Critical", "Medium"),
        "Undetected outages (no alerting)": ("Critical", "High"),
        "Production bugs (no testing)": ("High", "High"),
        "Secret leakage": ("High", "Low"),
        "Slow incident response": ("Medium", "Medium"),
        "Manual deployment errors": ("Medium", "Medium"),
        "Infrastructure issues": ("Low", "Low"),
        "Network connectivity": ("Low", "Low"),
        "Certificate expiry": ("Low", "Low"),
    }
    assert all(r.checks and r.mitigation for r in risks)
    assert next(r for r in risks if r.id == "R3").work_packages == ("WP6", "WP7", "WP8")


@pytest.mark.parametrize(("old", "new", "needle", "problem"), [
    ("impact: Critical\n    likelihood: Medium", "impact: Catastrophic\n    likelihood: Medium", "Catastrophic",
     "impact must be one of Low, Medium, High, Critical"),
    ("likelihood: High\n    mitigated_likelihood: Low", "likelihood: Often\n    mitigated_likelihood: Low", "Often",
     "likelihood must be one of Low, Medium, High"),
    ("    likelihood: Medium\n    mitigated_likelihood: Low\n    mitigation: Deploy Velero",
     "    likelihood: Medium\n    mitigated_likelihood: High\n    mitigation: Deploy Velero",
     "mitigated_likelihood: High", "mitigated_likelihood High is above its likelihood Medium"),
    ("      - obs_slos\n", "      - obs_slo\n", "obs_slo", "unknown check id 'obs_slo'"),
    ("work_packages: [WP1]", "work_packages: [WP10]", "WP10", "unknown work package id 'WP10'"),
    ("  - id: R9", "  - id: R8", "  - id: R8", "risk id 'R8' appears twice"),
    ("    checks: [infra_cert_manager_ready, sec_certificates_valid]\n", "", "  - id: R9", "lists no checks"),
    ("    mitigation: cert-manager automated\n", "    mitigation: x\n    owner: me\n", "owner: me",
     "unknown key 'owner'"),
])
def test_bad_risk_files_name_the_line(tmp_path: Path, old: str, new: str, needle: str, problem: str) -> None:
    assert old in RISKS_TEXT, old
    text = RISKS_TEXT.replace(old, new, 1)
    with pytest.raises(ConfigError) as err:
        _load(text, tmp_path)
    assert problem in err.value.problem
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert err.value.line in lines, (err.value.line, lines)


def test_a_file_without_a_risks_list(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'risks:' list"):
        _load("- id: R1\n", tmp_path)


def test_case_of_levels_is_forgiven(tmp_path: Path) -> None:
    risks = _load(RISKS_TEXT.replace("impact: Critical", "impact: critical"), tmp_path)
    assert risks[0].impact == "Critical"


def _risk(likelihood: str = "High", mitigated: str = "Low", checks: tuple[str, ...] = (V, D, W)) -> Risk:
    return Risk("RX", "test risk", "High", likelihood, mitigated, checks)


@pytest.mark.parametrize(("share", "expected"), [
    (0.0, "High"), (0.25, "High"), (0.26, "Medium"), (0.5, "Medium"), (0.75, "Medium"), (0.76, "Low"), (1.0, "Low")])
def test_likelihood_interpolates_and_rounds_half_up(share: float, expected: str) -> None:
    # High (2) to Low (0): 2 - 2 * share, rounded half up
    assert current_likelihood(_risk(), share) == expected


def test_likelihood_from_medium_and_a_flat_risk() -> None:
    assert current_likelihood(_risk("Medium"), 0.5) == "Medium"  # 0.5 rounds up: not yet Low
    assert current_likelihood(_risk("Medium"), 0.51) == "Low"
    assert current_likelihood(_risk("Low"), 0.0) == "Low"


def _findings(velero: tuple[str, str], daily: tuple[str, str], weekly: tuple[str, str]) -> pl.DataFrame:
    rows = []
    for check, pair in ((V, velero), (D, daily), (W, weekly)):
        for cluster, status in zip(("air", "pro"), pair, strict=True):
            rows.append(finding(cluster, friday(3), check, status))
    return findings(rows)


def test_status_unmitigated_partly_mitigated_mitigated_with_reasons() -> None:
    none = register([_risk()], _findings(("fail", "fail"), ("fail", "fail"), ("fail", "fail"))).row(0, named=True)
    assert (none["status"], none["likelihood"], none["share"]) == ("unmitigated", "High", 0.0)
    assert none["reason"].startswith("none of its 3 mitigating checks passes on any cluster")

    part = register([_risk()], _findings(("pass", "pass"), ("pass", "fail"), ("fail", "fail"))).row(0, named=True)
    assert part["status"] == "partly mitigated"
    assert part["share"] == pytest.approx(0.5) and part["likelihood"] == "Medium"
    assert part["checks_holding"] == [V] and part["checks_open"] == [D, W]
    assert part["reason"] == (f"1 of 3 mitigating checks hold on every cluster (50% of the mitigating evidence "
                              f"across the fleet); open: {D} (does not hold on pro); "
                              f"{W} (does not hold on all 2 clusters)")

    some = register([_risk()], _findings(("pass", "fail"), ("fail", "fail"), ("fail", "fail"))).row(0, named=True)
    assert some["status"] == "partly mitigated" and some["checks_holding"] == []  # passes somewhere, holds nowhere

    done = register([_risk()], _findings(("pass", "pass"), ("pass", "pass"), ("pass", "waived"))).row(0, named=True)
    assert (done["status"], done["likelihood"]) == ("mitigated", "Low")
    assert done["reason"] == f"all 3 mitigating checks hold: {V}, {D}, {W}"


def test_a_check_without_findings_is_open_with_no_evidence() -> None:
    f = _findings(("pass", "pass"), ("pass", "pass"), ("pass", "pass"))
    row = register([_risk(checks=(V, "obs_slos"))], f).row(0, named=True)
    assert row["status"] == "partly mitigated" and "obs_slos (no evidence)" in row["reason"]


def test_register_uses_each_clusters_newest_snapshot_up_to_the_day() -> None:
    early = _findings(("fail", "fail"), ("fail", "fail"), ("fail", "fail"))
    later = early.with_columns(pl.lit("pass").alias("status"), pl.lit(1.0).alias("score"),
                               pl.lit(friday(4)).alias("collected_at"))
    history = pl.concat([early, later])
    assert register([_risk()], history)["status"][0] == "mitigated"
    assert register([_risk()], history, friday(3).date())["status"][0] == "unmitigated"


def test_matrix_places_every_risk_in_one_cell() -> None:
    risks = load_risks(RISKS_YAML, rubric=RUBRIC, plan=PLAN)
    reg = register(risks, findings([]))  # no evidence: every risk at its inherent likelihood
    assert reg["status"].to_list() == ["unmitigated"] * 9
    m = matrix(reg)
    assert m.schema == rk.MATRIX and m.height == 12 and m["count"].sum() == 9
    cell = m.filter((pl.col("impact") == "Critical") & (pl.col("likelihood") == "High")).row(0, named=True)
    assert cell["risks"] == ["R2"] and cell["rating"] == 12
    low = m.filter((pl.col("impact") == "Low") & (pl.col("likelihood") == "Low")).row(0, named=True)
    assert low["risks"] == ["R7", "R8", "R9"] and low["rating"] == 1
    fig = risk_matrix_figure(m)
    heat = fig.data[0]
    assert list(heat.y) == ["Low", "Medium", "High", "Critical"] and list(heat.x) == ["Low", "Medium", "High"]
    assert heat.text[3][2] == "R2" and heat.z[3][2] == 12 and heat.text[0][0] == "R7, R8, R9"


def test_to_json_shape() -> None:
    reg = register([_risk()], _findings(("pass", "pass"), ("pass", "fail"), ("fail", "fail")))
    [doc] = rk.to_json(reg)
    assert {"id", "title", "impact", "likelihood", "status"} <= set(doc)
    assert doc["share"] == 0.5 and doc["checks_open"] == [D, W]


def test_another_fleet_without_risks_yaml_has_an_empty_register_not_the_shipped_one(tmp_path: Path) -> None:
    from readiness.plan import NoPlanError

    with pytest.raises(NoPlanError) as err:
        load_risks(rubric=RUBRIC, data=tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'risks.yaml'}: no risk register (risks.yaml) in this data")
    assert rk.find_risks(rubric=RUBRIC, data=tmp_path) == ()
    f = _findings(("pass", "pass"), ("pass", "pass"), ("pass", "pass"))
    assert register(rk.find_risks(rubric=RUBRIC, data=tmp_path), f).height == 0
    write(tmp_path, "fleet.yaml", "rubric: homelab-phase1\n")  # the fleet the shipped register describes
    assert [r.id for r in rk.find_risks(rubric=RUBRIC, data=tmp_path)] == [f"R{i}" for i in range(1, 10)]


def test_a_risk_naming_a_work_package_without_a_plan_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = RISKS_TEXT
    write(tmp_path, "risks.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_risks(rubric=RUBRIC, data=tmp_path)  # no plan.yaml here: WP2 names nothing
    assert "work package" in str(err.value) and "WP" in str(err.value) and err.value.line is not None
