"""``readiness scrub``: bring stored snapshots to the current sanitizer policy."""

from __future__ import annotations

from pathlib import Path

import click

from readiness.cli.options import data_option


def warn_unscrubbed(data_dir: Path) -> None:
    """Warn once, on stderr, when collected snapshots predate the sanitizer policy ('readiness scrub' fixes them)."""
    from readiness.collect.scrub import stale_warning

    if (line := stale_warning(data_dir)) is not None:
        click.echo(line, err=True)


@click.command()
@data_option
@click.option("--catalogue", "catalogues", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Catalogue file(s) the data was collected with: their keep/text paths extend the policy.")
def scrub(data: Path | None, catalogues: tuple[Path, ...]) -> None:
    """Rewrite the snapshots in DATA under the current sanitizer policy (docs/collect.md).

    Every objects file written under an older policy is rewritten atomically with the same
    rows: values the policy does not keep are replaced by '[redacted by readiness]'. Running
    it again changes nothing.
    """
    from readiness.collect.catalogue import load as load_catalogue
    from readiness.collect.scrub import scrub as run
    from readiness.store import paths

    paths.refuse_url(data, "readiness scrub")
    result, label = run(paths.data_dir(data), load_catalogue(catalogues))
    click.echo(result.summary(label))
