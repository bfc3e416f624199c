"""``readiness report``: collect (when clusters are configured), score, run the notebooks, render."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from readiness.cli.options import as_of_option, data_option, engine_options, evaluation_engine, rubric_option
from readiness.cli.scrub import warn_unscrubbed
from readiness.errors import ConfigError, ReadinessError
from readiness.store import paths

COLLECTED = (0, 3, 4)  # collect's exit statuses after which a snapshot was written (see `collect --help`)


def _month(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter(f"'{value}' is not a month like 2026-03")
    return value


def collect_arguments(config: Path, data_dir: Path) -> list[list[str]]:
    """``readiness collect`` argument lists for what ``collect.yaml`` configures.

    Keys: ``kubeconfig``, ``contexts`` (list) or ``all_contexts: true``, ``cluster_names``
    (context -> name), ``repos`` (list of ``{path, cluster, paths}``).
    """
    from readiness.store.configfile import SourceFile

    src = SourceFile(config, "collection configuration")  # strict: UTF-8, no duplicated key
    doc: dict[str, Any] = src.doc or {}
    known = {"kubeconfig", "contexts", "all_contexts", "cluster_names", "repos"}
    if not isinstance(doc, dict) or set(doc) - known:
        extra = sorted(set(doc) - known) if isinstance(doc, dict) else []
        raise ConfigError(str(config), f"unknown keys {extra}" if extra else "expected a mapping",
                          hint=f"known keys: {', '.join(sorted(known))}")
    _check_types(src, doc)
    runs = []
    live = ["--data", str(data_dir)]
    if doc.get("kubeconfig"):
        live += ["--kubeconfig", str(Path(str(doc["kubeconfig"])).expanduser())]
    for context in doc.get("contexts") or []:
        live += ["--context", str(context)]
    if doc.get("all_contexts"):
        live.append("--all-contexts")
    for context, name in (doc.get("cluster_names") or {}).items():
        live += ["--cluster-name", f"{context}={name}"]
    if doc.get("kubeconfig") or doc.get("contexts") or doc.get("all_contexts"):
        runs.append(live)
    for i, repo in enumerate(doc.get("repos") or []):
        if not isinstance(repo, dict) or not repo.get("path") or not repo.get("cluster"):
            raise ConfigError(str(config), f"repos[{i}] needs 'path' and 'cluster'")
        base = config.parent
        args = ["--data", str(data_dir), "--repo", str((base / str(repo["path"])).expanduser()),
                "--cluster", str(repo["cluster"])]
        for sub in repo.get("paths") or []:
            args += ["--path", str(sub)]
        runs.append(args)
    if not runs:
        raise ConfigError(str(config), "configures nothing to collect",
                          hint="set contexts (or all_contexts: true) and/or repos")
    return runs


def _check_types(src: Any, doc: dict[str, Any]) -> None:
    """Each key of collect.yaml has its one shape: a string is never taken for a list."""
    def strings(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) and v for v in value)

    if doc.get("kubeconfig") is not None and not isinstance(doc["kubeconfig"], str):
        raise src.error(("kubeconfig",), "'kubeconfig' must be a path (text)")
    if doc.get("contexts") is not None and not strings(doc["contexts"]):
        raise src.error(("contexts",), "'contexts' must be a list of context names",
                        hint="write contexts: [alpha] (a list), not contexts: alpha")
    if doc.get("all_contexts") is not None and not isinstance(doc["all_contexts"], bool):
        raise src.error(("all_contexts",), "'all_contexts' must be true or false")
    names = doc.get("cluster_names")
    if names is not None and not (isinstance(names, dict) and all(isinstance(v, str) for v in names.values())):
        raise src.error(("cluster_names",), "'cluster_names' must map context names to cluster names",
                        hint="cluster_names: {arn:...:cluster/prod: prod}")
    repos = doc.get("repos")
    if repos is not None and not isinstance(repos, list):
        raise src.error(("repos",), "'repos' must be a list of {path, cluster, paths}")
    for i, repo in enumerate(repos or []):
        if isinstance(repo, dict) and repo.get("paths") is not None and not strings(repo["paths"]):
            raise src.error(("repos", i, "paths"), f"repos[{i}].paths must be a list of directories",
                            hint="write paths: [clusters/studio] (a list)")


def collect_configured(data_dir: Path, say: Any) -> None:
    """Run ``readiness collect`` for each configured target; partial collections still count."""
    from readiness.cli.collect import collect

    config = data_dir / paths.COLLECT_FILE
    for args in collect_arguments(config, data_dir):
        say(f"collecting: readiness collect {' '.join(args)}")
        try:  # without standalone mode click returns the command's exit status instead of exiting
            returned = collect.main(args=args, prog_name="readiness collect", standalone_mode=False)
            status = returned if isinstance(returned, int) else 0
        except SystemExit as stop:
            status = int(stop.code or 0)
        if status not in COLLECTED:
            raise ReadinessError(f"collection configured in {config} failed (exit status {status})",
                                 hint="fix the collection, or run 'readiness report --no-collect'")


@click.command()
@click.option("--month", callback=_month, default=None,
              help="Month to report on, YYYY-MM (default: the newest month that has snapshots).")
@data_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
              help="Reports directory; the report goes to OUT/YYYY-MM/ and OUT/index.md lists every month.")
@rubric_option
@click.option("--collect/--no-collect", "collect_first", default=None,
              help="Collect first from what DATA/collect.yaml configures (default: when that file exists).")
@click.option("--renderer", type=click.Choice(["auto", "quarto", "pandoc"]), default="auto", show_default=True,
              help="auto: Quarto when the quarto command is installed, else the built-in pandoc renderer.")
@as_of_option
@click.option("--pdf/--no-pdf", default=True, show_default=True,
              help="Also print production-readiness.pdf with Chromium (skipped, with a note, without one).")
@click.option("--workers", type=click.IntRange(1, 16), default=None,
              help="Notebooks executed at once (default: one per core, at most one per notebook).")
@engine_options
def report(month: str | None, data: Path | None, out: Path, rubric: Path | None, collect_first: bool | None,
           renderer: str, as_of: datetime | None, pdf: bool, workers: int | None,
           engine: str, scheduler: str | None) -> None:
    """Build the monthly production-readiness report (Markdown, HTML and PDF).

    When DATA/collect.yaml configures clusters or repositories, collects them first; then
    scores the snapshots in DATA (the demo fleet when no cluster is configured), runs the
    notebooks with Papermill, exports the figures and renders the report into OUT/YYYY-MM/
    (production-readiness.md with PNG figures, production-readiness.html, production-readiness.pdf
    printed by the Chromium that exports the figures, the executed notebooks, report.json). The
    previous report is replaced only on success. --as-of DAY renders the fleet as it stood that day,
    into that day's month (e.g. the day of an earlier hand-written assessment). DATA/report.yaml, when present, adds the
    assessor, Phase 2 items, related documents and a reference assessment (docs/report.md).

    \b
    DATA/collect.yaml, for example:
      kubeconfig: ~/.kube/config
      contexts: [air, pro, studio, pi, forge]
      repos:
        - {path: ../homelab, cluster: studio, paths: [clusters/studio]}
    """
    from readiness.report import build

    def say(line: str) -> None:
        click.echo(line, err=True)

    data_dir = paths.data_dir(data)
    if collect_first or (collect_first is None and (data_dir / paths.COLLECT_FILE).is_file()):
        collect_configured(data_dir, say)
    warn_unscrubbed(data_dir)
    with evaluation_engine(engine, scheduler):  # the report evaluates the history once, then only reads it
        result = build(month, data=data, out=out, rubric=str(rubric) if rubric else None, renderer=renderer,
                       workers=workers, say=say, as_of=as_of.date() if as_of else None, pdf=pdf)
    total = sum(v for k, v in result.timings.items() if ":" not in k)
    click.echo(f"report for {result.month} (as of {result.as_of}{', demo fleet' if result.demo else ''}) "
               f"in {total:.1f} s, rendered with {result.renderer}:")
    for name in ("production-readiness.md", "production-readiness.html", "production-readiness.pdf"):
        if (result.out_dir / name).is_file():
            click.echo(f"  {result.out_dir / name}")
    for note in result.notes:
        click.echo(f"note: {note}")
