"""``readiness plan``, ``burndown``, ``risks`` and ``log``: the improvement plan, tracked by evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from readiness.cli.options import (
    assessment_options,
    data_option,
    format_option,
    rubric_option,
)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _rubric(path: Path | None, data: Path | None) -> Any:
    """The rubric: the default, the data directory's profile, then ``--rubric``."""
    from readiness.assess import rubric
    from readiness.store import paths

    return rubric.load(path, data=paths.data_dir(data))


@click.command("plan")
@data_option
@rubric_option
@format_option
def plan(data: Path | None, rubric: Path | None, fmt: str) -> None:
    """Show the improvement plan: work packages, weeks, hours, the blockers they resolve, the
    checks that prove them done, and where the plan and the assessment disagree."""
    from readiness.plan import load_plan

    p = load_plan(rubric=_rubric(rubric, data), data=data)
    if fmt == "json":
        _json(p.to_dict())
        return
    click.echo(f"{p.name}: {p.total_hours:g} hours in {p.weeks} weeks (at most {p.max_weeks}) from {p.start}  "
               f"[{p.path}]")
    rows = [(wp.id, wp.window, f"{p.week_start(wp.first_week)}..{p.week_end(wp.last_week)}", f"{wp.hours:g}",
             wp.purpose, wp.title)
            for wp in p.work_packages.values()]
    rows.append(("total", "", "", f"{sum(wp.hours for wp in p.work_packages.values()):g}", "", ""))
    click.echo(_table(("wp", "weeks", "dates", "hours", "resolves", "title"), rows))
    for wp in p.work_packages.values():
        click.echo(f"{wp.id} is done when these pass on every cluster: {', '.join(wp.checks)}")
    if p.warnings:
        click.echo("warnings:")
        for w in p.warnings:
            click.echo(f"  - {w}")


@click.command("burndown")
@assessment_options
@format_option
def burndown(data: Path | None, rubric: Path | None, as_of: datetime | None, clusters: tuple[str, ...],
             fmt: str) -> None:
    """Hours burned down week by week: the ideal line (and the envelope), hours spent (work log),
    hours earned (planned hours of work packages whose checks pass) and the forecast."""
    from readiness.plan import compute

    b = compute(data, as_of=_day(as_of), rubric=_rubric(rubric, data), clusters=list(clusters) or None)
    if fmt == "json":
        _json(b.to_dict())
        return
    p, fc = b.plan, b.forecast
    click.echo(f"Burndown of {p.name}: {p.total_hours:g} planned hours" + (f", as of {b.as_of}" if b.as_of else ""))
    rows = [(r["week"], r["start"], r["snapshot"], f"{r['ideal_remaining']:.1f}", f"{r['envelope_remaining']:.1f}",
             f"{r['spent']:.1f}", f"{r['earned']:.1f}", f"{r['remaining']:.1f}",
             "" if r["readiness"] is None else f"{r['readiness']:.1f}%")
            for r in b.weeks.iter_rows(named=True)]
    click.echo(_table(("week", "starts", "snapshot", "ideal", f"envelope({p.max_weeks}w)", "spent", "earned",
                       "remaining", "readiness"), rows))
    if fc.date is None:
        click.echo(f"forecast: none ({fc.reason})")
    else:
        span = f" (range {fc.low} .. {fc.high or 'open-ended'})" if fc.low != fc.high else ""
        click.echo(f"forecast: remaining hours reach 0 on {fc.date}{span}: {fc.reason}")
    click.echo(f"readiness {fc.readiness_target:g}%: {fc.readiness_date or 'no date'} ({fc.readiness_reason})")


@click.command("risks")
@assessment_options
@format_option
def risks(data: Path | None, rubric: Path | None, as_of: datetime | None, clusters: tuple[str, ...],
          fmt: str) -> None:
    """The risk register: each risk's impact, its likelihood now (following the evidence of its
    mitigating checks), and whether it is mitigated, partly mitigated or unmitigated, with why."""
    from readiness.plan import risks as rk

    rub = _rubric(rubric, data)
    reg = rk.compute(data, as_of=_day(as_of), rubric=rub, clusters=list(clusters) or None,
                     risks=rk.load_risks(rubric=rub, data=data))  # NoPlanError: no risks.yaml in DATA
    if fmt == "json":
        _json(rk.to_json(reg))
        return
    rows = [(r["id"], r["title"], r["impact"], r["likelihood"] + ("" if r["likelihood"] == r["inherent_likelihood"]
                                                                  else f" (was {r['inherent_likelihood']})"),
             r["status"]) for r in reg.iter_rows(named=True)]
    click.echo(_table(("id", "risk", "impact", "likelihood", "status"), rows))
    for r in reg.iter_rows(named=True):
        click.echo(f"{r['id']}: {r['reason']}")


@click.command("log", context_settings={"ignore_unknown_options": True})  # so "-1" reaches the hours check
@click.argument("work_package")
@click.argument("hours", type=float)
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the work was done (default: today).")
@click.option("--note", default="", help="What was done.")
@data_option
def log(work_package: str, hours: float, day: datetime | None, note: str, data: Path | None) -> None:
    """Log HOURS spent on WORK_PACKAGE to the work log (worklog.csv of --data, else of
    $READINESS_DATA, else of ./data: never the demo's). The row is validated and appended whole,
    even with concurrent writers."""
    from readiness.plan import load_plan, worklog
    from readiness.store import paths

    own = paths.own_data_dir(data)
    p = load_plan(data=own)
    path = own / worklog.WORKLOG_FILE
    when = _day(day) or date.today()
    line = worklog.append(path, work_package, hours, day=when, note=note, work_packages=p.work_packages)
    from readiness import store

    store.remove_leftovers(own)  # every command that writes into a data directory cleans up after killed runs
    click.echo(f"logged {hours:g} h on {work_package} for {when} to {path}:{line}")
    if paths.data_dir(data) != own:
        click.echo(f"note: reports read {paths.data_dir(data)} (the demo fleet) until {own} holds collected "
                   "snapshots; this hour shows in your burndown from then on", err=True)


COMMANDS = (plan, burndown, risks, log)
