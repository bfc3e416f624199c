"""``readiness site``: the reports site of ``_quarto.yml``, rendered with Quarto or pandoc."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The project folder holding _quarto.yml.")
@click.option("--renderer", type=click.Choice(["auto", "quarto", "pandoc"]), default="auto", show_default=True,
              help="auto: Quarto when installed, else pandoc (from the pypandoc-binary wheel).")
@click.option("--repo-url", metavar="URL", default=None,
              help="Where links to repository files point, e.g. https://github.com/you/readiness (default: "
                   "website.repo-url of _quarto.yml, else the GitHub Actions repository; else they become text).")
def site(root: Path, renderer: str, repo_url: str | None) -> None:
    """Render the site _quarto.yml describes (home page, the index of monthly reports, every
    month, the docs) into its output folder (_site/), with Quarto or, without it, pandoc.

    Run 'readiness report' first: the monthly reports are copied in as they are.
    """
    from readiness.report import site as lib

    result = lib.build(root, renderer=renderer, repo_url=repo_url, say=click.echo)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"site: {len(result.pages)} pages and {result.resources} report files rendered with "
               f"{result.renderer} -> {result.out_dir}")
