"""Render the report's Quarto source to GitHub Markdown and self-contained HTML.

``render(qmd, out_dir)`` uses the ``quarto`` command when it is on PATH, and otherwise a built-in
renderer on the pandoc that ships in the ``pypandoc-binary`` wheel. Both write
``<stem>.md`` (GFM) and ``<stem>.html`` (self-contained) into ``out_dir``; everything is rendered
into a temporary directory beside ``out_dir`` and moved into place only when all of it succeeded.

The built-in renderer supports exactly this subset of Quarto; templates must stay within it so
both renderers give the same document (anything else raises ``ReportError``, never passes silently):

* Front matter (and ``_quarto.yml`` beside the .qmd or above it, the .qmd winning): ``title``,
  ``subtitle``, ``author`` (a string or a list of strings), ``date`` (shown verbatim: write it
  already formatted, e.g. "March 2025"; Quarto would reformat an ISO date), ``lang``. Accepted and
  ignored: ``format`` (the built-in always writes gfm + self-contained html; keep format options
  to ``embed-resources: true``), ``notebook-links``, ``notebook-view``, ``execute``, ``jupyter``,
  ``project``. Any other key is an error.
* ``{{< include path >}}`` alone on its line: the file's text is pasted in (recursively). As in
  Quarto, the path is relative to the main .qmd, not to the including file; a leading ``/`` means
  the project root (the folder holding ``_quarto.yml``). Included files have no front matter.
* ``{{< embed path/to/notebook.ipynb#label >}}`` alone on its line, no options (no ``echo=true``),
  path relative to the .qmd. The cell is found like Quarto does: cell id, then the ``#| label:``
  cell option, then cell tags. Its outputs, in order: ``text/markdown`` as Markdown (use
  ``IPython.display.Markdown`` for tables and text); a plotly figure as its PNG in the Markdown
  (``figures/<label>.png``, from ``readiness.report._export.export_figures``) and as an interactive
  plotly div in the HTML (plotly.js inlined once per page); without a PNG, the Markdown links
  ``figures/<label>.html`` and says why; other ``image/png`` as an image; ``text/html`` as raw
  HTML; ``text/plain`` and printed text as a code block. An error output stops the report.
* Cell options ``fig-cap`` / ``tbl-cap`` on cells labelled ``fig-...`` / ``tbl-...`` number them
  "Figure N: ..." / "Table N: ..." (figure captions below, table captions above), ``fig-alt`` is
  the image's alt text, and ``@fig-label`` / ``@tbl-label`` in the text become "Figure N" links.
* The rest is plain Pandoc Markdown: headings, paragraphs, lists, emphasis, links, pipe tables,
  fenced code, fenced divs. Not supported: callouts, other shortcodes (``meta``, ``var``...),
  code cells in the .qmd, whole-notebook embeds, ``toc``.

Before Quarto runs, the same reader checks the source (so a template outside this subset, or an
embed of an unknown label, fails the same way with either renderer). Quarto needs the .qmd inside
a Quarto project (a ``_quarto.yml``); ``notebook-links`` and ``notebook-view`` are turned off on
its command line so its output matches; it writes its own figure files (``<stem>_files/``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.errors import ReportError
from readiness.report._export import find_chromium, no_chromium_note
from readiness.report._source import Embedder, Source, project_root, read_source

RENDERERS = ("auto", "quarto", "pandoc")
CSS = Path(__file__).parent / "templates" / "report.css"
QUARTO_INSTALL = "install Quarto: https://quarto.org/docs/get-started/ (in GitHub Actions: quarto-dev/quarto-actions)"
NOT_EXPORTED_NOTE = "static figures unavailable: the figures were not exported to PNG (readiness.report._export)"
_READER = "markdown-implicit_figures"  # captions are written by render_source, the same for both targets


@dataclass(frozen=True)
class RenderResult:
    """What ``render`` did."""

    renderer: str
    """Which renderer ran: "quarto", or "pandoc" for the built-in one."""
    files: tuple[Path, ...]
    """Every file written into ``out_dir``, the .md and .html first."""
    static_figures: bool
    """Whether the Markdown shows every figure as a PNG (False: it links HTML figures)."""
    notes: tuple[str, ...] = ()
    """Things the reader of the report should know (e.g. why figures are not static)."""


def render(qmd: Path | str, out_dir: Path | str, *, renderer: str = "auto", stem: str | None = None) -> RenderResult:
    """Render ``qmd`` into ``out_dir/<stem>.md`` and ``out_dir/<stem>.html`` (stem: the qmd's name).

    ``renderer``: "auto" (Quarto when installed, else built-in), "quarto" or "pandoc". Nothing in
    ``out_dir`` changes unless the whole render succeeds.
    """
    qmd, out_dir = Path(qmd).resolve(), Path(out_dir).resolve()
    stem = stem or qmd.stem
    if renderer not in RENDERERS:
        raise ReportError(f"unknown renderer '{renderer}'", hint=f"use one of {', '.join(RENDERERS)}")
    if not qmd.is_file():
        raise ReportError(f"{qmd}: report source not found")
    quarto = shutil.which("quarto")
    if renderer == "quarto" and not quarto:
        raise ReportError("renderer 'quarto' asked for, but no quarto command on PATH", hint=QUARTO_INSTALL)
    source = read_source(qmd)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.render-", dir=out_dir.parent))
    try:
        if quarto and renderer != "pandoc":
            used, (produced, static, notes) = "quarto", _render_quarto(quarto, source, staging, stem)
        else:
            used, (produced, static, notes) = "pandoc", _render_builtin(source, staging, stem)
        files = _move_into_place(produced, out_dir, stem)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RenderResult(used, files, static, notes)


def _pandoc(text: str, to: str, args: list[str], cwd: Path) -> str:
    import pypandoc

    try:
        return str(pypandoc.convert_text(text, to, format=_READER, extra_args=args, cworkdir=str(cwd)))
    except (RuntimeError, OSError) as exc:
        raise ReportError(f"pandoc failed to write {to}: {exc}".replace("\n", " ")) from None


def _authors(meta: dict[str, Any]) -> list[str]:
    author = meta.get("author") or []
    authors = author if isinstance(author, list) else [author]
    return [str(a.get("name", "")) if isinstance(a, dict) else str(a) for a in authors]


def _title_block(meta: dict[str, Any]) -> str:
    """The GFM title block (pandoc's gfm writer drops metadata; Quarto prints a heading too)."""
    lines = []
    if meta.get("title"):
        lines.append(f"# {meta['title']}")
    if meta.get("subtitle"):
        lines.append(f"**{meta['subtitle']}**")
    byline = " · ".join(s for s in [", ".join(_authors(meta)), str(meta.get("date") or "")] if s)
    if byline:
        lines.append(byline)
    return "\n\n".join(lines)


def _render_builtin(source: Source, staging: Path, stem: str) -> tuple[Path, bool, tuple[str, ...]]:
    import yaml

    embedder = Embedder(source, staging)
    gfm_body = embedder.expand("gfm")
    notes: tuple[str, ...] = ()
    if embedder.linked_figures:
        why = no_chromium_note() if find_chromium() is None else NOT_EXPORTED_NOTE
        notes = (why,)
        gfm_body = f"> **Note:** {why}. Each figure links to an interactive HTML page instead.\n\n{gfm_body}"
    static = not embedder.linked_figures
    markdown = _pandoc(f"{_title_block(source.meta)}\n\n{gfm_body}", "gfm", ["--wrap=none"], staging)
    (staging / f"{stem}.md").write_text(markdown, encoding="utf-8")

    html_body = embedder.expand("html")
    meta = {k: v for k, v in source.meta.items() if k != "author"} | {"author": _authors(source.meta)}
    meta.setdefault("pagetitle", source.meta.get("title") or stem)
    header = "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=True) + "---\n\n"
    args = ["--standalone", "--embed-resources", f"--css={CSS}", f"--resource-path={staging}", "--wrap=none"]
    html = _pandoc(header + html_body, "html5", args, staging)
    if embedder.plotly_divs:
        # Inlined after pandoc: --embed-resources re-parses a 4.8 MB script for ~5 s otherwise.
        import plotly.offline

        script = f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>\n'
        html = html.replace("</head>", script + "</head>", 1)
    (staging / f"{stem}.html").write_text(html, encoding="utf-8")
    return staging, static, notes


def _render_quarto(quarto: str, source: Source, staging: Path, stem: str) -> tuple[Path, bool, tuple[str, ...]]:
    root = project_root(source.qmd)
    if not (root / "_quarto.yml").is_file():
        raise ReportError(
            f"{source.qmd}: rendering with Quarto needs a Quarto project (--output-dir works only in one)",
            hint="add a _quarto.yml beside the .qmd (it may be empty), or use renderer='pandoc'",
        )
    # Expanding with the built-in reader first checks every embed (unknown labels fail here, with
    # our message) and tells whether the Markdown will have a PNG for every figure.
    probe = Embedder(source, staging / ".probe")
    probe.expand("gfm")
    shutil.rmtree(staging / ".probe", ignore_errors=True)
    for fmt, ext, extra in (("gfm", "md", []), ("html", "html", ["-M", "embed-resources:true"])):
        cmd = [quarto, "render", source.qmd.name, "--to", fmt, "--output-dir", str(staging)]
        cmd += ["--output", f"{stem}.{ext}", "-M", "notebook-links:false", "-M", "notebook-view:false", *extra]
        proc = subprocess.run(cmd, cwd=source.qmd.parent, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise ReportError(f"quarto render {source.qmd.name} --to {fmt} failed: {last}", hint="run it by hand")
    notes = () if not probe.linked_figures else ("figures without a PNG appear as HTML in the Markdown (Quarto)",)
    # Quarto mirrors the .qmd's folder inside the project under --output-dir.
    return staging / source.qmd.parent.relative_to(root), not probe.linked_figures, notes


def _move_into_place(staging: Path, out_dir: Path, stem: str) -> tuple[Path, ...]:
    """Move what was rendered into ``staging`` to ``out_dir``: folders first, the .md and .html last."""
    documents = [staging / f"{stem}.md", staging / f"{stem}.html"]
    for doc in documents:
        if not doc.is_file():
            raise ReportError(f"the renderer did not write {doc.name}", hint="see the renderer's output above")
    out_dir.mkdir(parents=True, exist_ok=True)
    moved: list[Path] = []
    for entry in sorted(p for p in staging.iterdir() if p.is_dir() and not p.name.startswith(".")):
        dest = out_dir / entry.name
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(entry, dest)
        moved += sorted(p for p in dest.rglob("*") if p.is_file())
    others = sorted(p for p in staging.iterdir() if p.is_file() and p not in documents)
    for entry in [*others, *documents]:
        os.replace(entry, out_dir / entry.name)
    return (out_dir / f"{stem}.md", out_dir / f"{stem}.html", *(out_dir / p.name for p in others), *moved)
