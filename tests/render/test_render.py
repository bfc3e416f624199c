"""readiness.report._render: the built-in (pandoc) renderer on the example project, and the Quarto path."""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest

from readiness.errors import ReportError
from readiness.report._export import NO_CHROMIUM_ASKED_NOTE, export_figures
from readiness.report._render import render
from tests.render.conftest import SCORECARD, code_cell, error_output, markdown_output, write_notebook

STEM = "production-readiness"


def out(result_dir: Path, ext: str) -> str:
    return (result_dir / f"{STEM}.{ext}").read_text(encoding="utf-8")


def test_markdown_has_title_include_table_and_png(exported: Path, tmp_path: Path) -> None:
    result = render(exported, tmp_path / "2025-03", renderer="pandoc")
    assert result.renderer == "pandoc" and result.static_figures and result.notes == ()
    md = out(tmp_path / "2025-03", "md")
    assert md.startswith("# Production readiness\n\n**Demo fleet**\n\nPlatform team · March 2025\n")
    # The include, and the include inside it (resolved relative to the .qmd, as Quarto does).
    assert "This report covers the demo fleet.\n\nScope: every production cluster." in md
    assert "*Table 1: Readiness by cluster*\n\n| cluster | score | blockers |" in md
    assert "| prod-us |  0.67 |        3 |" in md
    assert "**2 of 2** clusters lag." in md
    assert "As [Figure 1](#fig-burndown) shows, open findings fall; [Table 1](#tbl-scorecard) lists" in md
    assert "![Open findings per week](figures/fig-burndown.png)\n\n*Figure 1: Open findings per week*" in md
    assert "![Score by category](figures/fig-categories.png)\n\n*Figure 2: Score by category*" in md
    for name in ("fig-burndown.png", "fig-categories.png"):
        png = (tmp_path / "2025-03" / "figures" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
        assert struct.unpack(">II", png[16:24]) == (1800, 1000)
    assert sorted(p.relative_to(tmp_path / "2025-03").as_posix() for p in result.files) == [
        "figures/fig-burndown.png",
        "figures/fig-categories.png",
        f"{STEM}.html",
        f"{STEM}.md",
    ]


def test_html_is_self_contained_with_plotlyjs_once(exported: Path, tmp_path: Path) -> None:
    render(exported, tmp_path, renderer="pandoc")
    html = out(tmp_path, "html")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert "<link" not in html and 'src="figures/' not in html
    assert html.count("* plotly.js v") == 1  # plotly.js's banner: inlined once for two figures
    assert html.index("* plotly.js v") < html.index("</head>")
    assert html.count("Plotly.newPlot(") == 2
    assert '"x":["W1","W2","W3","W4"],"y":[41,33,27,18]' in html
    assert '"x":[0.9,0.55,0.71]' in html
    assert "border-collapse: collapse" in html  # our stylesheet, inlined
    assert '<p class="subtitle">Demo fleet</p>' in html and "<title>Production readiness</title>" in html
    assert '<div class="caption">\n<p>Figure 1: Open findings per week</p>' in html
    assert '<td style="text-align: right;">0.82</td>' in html


def test_rendering_twice_gives_the_same_files(exported: Path, tmp_path: Path) -> None:
    render(exported, tmp_path / "a", renderer="pandoc")
    render(exported, tmp_path / "b", renderer="pandoc")
    for rel in (f"{STEM}.md", f"{STEM}.html", "figures/fig-burndown.png"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_without_chromium_markdown_links_interactive_figures(project: Path, tmp_path: Path, no_chromium: None) -> None:
    notebooks = sorted((project.parent / "notebooks").glob("*.ipynb"))
    assert export_figures(notebooks).exported == 0
    result = render(project, tmp_path / "report", renderer="pandoc")
    assert not result.static_figures and result.notes == (NO_CHROMIUM_ASKED_NOTE,)
    md = out(tmp_path / "report", "md")
    # Pandoc's (and Quarto's) smart punctuation curls the apostrophe.
    note = NO_CHROMIUM_ASKED_NOTE.replace("'", "\N{RIGHT SINGLE QUOTATION MARK}")
    assert f"> **Note:** {note}. Each figure links to an interactive HTML page instead." in md
    assert "[Open findings per week (interactive figure)](figures/fig-burndown.html)" in md
    assert "[Score by category (interactive figure)](figures/fig-categories.html)" in md
    figures = tmp_path / "report" / "figures"
    assert sorted(p.name for p in figures.iterdir()) == ["fig-burndown.html", "fig-categories.html", "plotly.min.js"]
    assert '"y":[41,33,27,18]' in (figures / "fig-burndown.html").read_text()
    # The HTML report is interactive either way.
    assert out(tmp_path / "report", "html").count("Plotly.newPlot(") == 2


def test_unknown_label_names_notebook_and_label(exported: Path, tmp_path: Path) -> None:
    qmd = exported.parent / "bad.qmd"
    qmd.write_text("---\ntitle: X\n---\n\n{{< embed notebooks/trends.ipynb#fig-nope >}}\n")
    with pytest.raises(ReportError) as err:
        render(qmd, tmp_path / "out", renderer="pandoc")
    message = str(err.value)
    assert message.startswith(f"{exported.parent / 'notebooks' / 'trends.ipynb'}: no cell labelled 'fig-nope'")
    assert "labels in this notebook: fig-burndown, fig-categories" in message


def test_failing_notebook_stops_and_keeps_previous_report(exported: Path, tmp_path: Path) -> None:
    month = tmp_path / "reports" / "2025-03"
    render(exported, month, renderer="pandoc")
    before = {p: p.read_bytes() for p in month.rglob("*") if p.is_file()}
    write_notebook(
        exported.parent / "notebooks" / "scorecard.ipynb",
        [
            code_cell("#| label: tbl-scorecard\n#| tbl-cap: Readiness by cluster\nf()", [markdown_output(SCORECARD)]),
            code_cell("#| label: txt-summary\nsummary()", [error_output("KeyError", "'prod-eu'")]),
        ],
    )
    with pytest.raises(ReportError) as err:
        render(exported, month, renderer="pandoc")
    assert str(err.value).startswith(
        f"{exported.parent / 'notebooks' / 'scorecard.ipynb'}: cell 'txt-summary' failed with KeyError: 'prod-eu'"
    )
    assert {p: p.read_bytes() for p in month.rglob("*") if p.is_file()} == before
    assert [p.name for p in month.parent.iterdir()] == ["2025-03"]  # no temporary directory left


def test_include_paths_follow_quarto(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "sub" / "parts").mkdir(parents=True)
    (root / "_quarto.yml").write_text("project:\n  type: default\n")
    (root / "shared.md").write_text("From the project root.\n")
    # Nested include: relative to the main .qmd (sub/), not to the including file (sub/parts/).
    (root / "sub" / "parts" / "a.qmd").write_text("Alpha.\n\n{{< include parts/b.qmd >}}\n\n{{< include /shared.md >}}")
    (root / "sub" / "parts" / "b.qmd").write_text("Beta.\n")
    qmd = root / "sub" / "doc.qmd"
    qmd.write_text('---\ntitle: Inc\n---\n\n{{< include "parts/a.qmd" >}}\n\nEnd.\n')
    render(qmd, tmp_path / "out", renderer="pandoc")
    assert (tmp_path / "out" / "doc.md").read_text() == "# Inc\n\nAlpha.\n\nBeta.\n\nFrom the project root.\n\nEnd.\n"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("{{< include missing.qmd >}}", r"doc\.qmd:5: included file 'missing\.qmd' not found"),
        ("{{< include self.qmd >}}", r"self\.qmd:1: 'self\.qmd' includes itself"),
        ("{{< include fm.qmd >}}", r"fm\.qmd: an included file must not have front matter"),
        ("Text {{< meta title >}} here", r"unsupported shortcode in line 'Text \{\{< meta title >\}\} here'"),
        ("{{< embed nb.ipynb#x echo=true >}}", r"unsupported embed"),
        ("See @fig-none.", r"cross-reference @fig-none has no numbered figure or table"),
    ],
)
def test_outside_the_supported_subset_is_an_error(tmp_path: Path, body: str, match: str) -> None:
    (tmp_path / "self.qmd").write_text("{{< include self.qmd >}}\n")
    (tmp_path / "fm.qmd").write_text("---\ntitle: no\n---\nx\n")
    qmd = tmp_path / "doc.qmd"
    qmd.write_text(f"---\ntitle: T\n---\n\n{body}\n")
    with pytest.raises(ReportError, match=match):
        render(qmd, tmp_path / "out", renderer="pandoc")
    assert not (tmp_path / "out").exists()


def test_unknown_front_matter_key_is_an_error(tmp_path: Path) -> None:
    qmd = tmp_path / "doc.qmd"
    qmd.write_text("---\ntitle: T\ntoc: true\n---\n\nHi.\n")
    with pytest.raises(ReportError, match=r"doc\.qmd: front matter key\(s\) toc not supported"):
        render(qmd, tmp_path / "out", renderer="pandoc")


def test_auto_without_quarto_uses_builtin(exported: Path, tmp_path: Path, no_quarto: None) -> None:
    assert render(exported, tmp_path / "o").renderer == "pandoc"
    with pytest.raises(ReportError, match=r"no quarto command on PATH \(install Quarto: https://quarto\.org"):
        render(exported, tmp_path / "o", renderer="quarto")


FAKE_QUARTO = """#!/bin/sh
# A stand-in for the quarto CLI: records its arguments and writes the file it was asked for.
echo "$PWD $*" >> "{log}"
while [ $# -gt 0 ]; do
  case "$1" in --output-dir) dir="$2"; shift;; --output) name="$2"; shift;; esac; shift
done
printf 'rendered by fake quarto\\n' > "$dir/$name"
"""


def test_quarto_command_line_with_a_stand_in(exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Checks our plumbing only (arguments, output placement), not Quarto: see test_quarto_renders.
    bin_dir, log = tmp_path / "bin", tmp_path / "quarto.log"
    bin_dir.mkdir()
    (bin_dir / "quarto").write_text(FAKE_QUARTO.format(log=log))
    (bin_dir / "quarto").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    result = render(exported, tmp_path / "out")
    assert result.renderer == "quarto" and result.static_figures
    assert [p.name for p in result.files] == [f"{STEM}.md", f"{STEM}.html"]
    assert out(tmp_path / "out", "md") == "rendered by fake quarto\n"
    calls = log.read_text().splitlines()
    assert len(calls) == 2 and all(c.startswith(f"{exported.parent} render {STEM}.qmd --to ") for c in calls)
    assert "--to gfm" in calls[0] and f"--output {STEM}.md" in calls[0] and "embed-resources" not in calls[0]
    assert "--to html" in calls[1] and "-M embed-resources:true" in calls[1]
    assert all("-M notebook-links:false -M notebook-view:false" in c for c in calls)


def test_quarto_failure_is_a_report_error(exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "quarto").write_text("#!/bin/sh\necho 'ERROR: YAMLError: bad indentation' >&2\nexit 1\n")
    (bin_dir / "quarto").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    with pytest.raises(ReportError, match=r"--to gfm failed: ERROR: YAMLError: bad indentation"):
        render(exported, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto CLI not installed (it cannot be installed here)")
def test_quarto_renders(exported: Path, tmp_path: Path) -> None:
    result = render(exported, tmp_path / "out", renderer="quarto")
    md = out(tmp_path / "out", "md")
    assert result.renderer == "quarto"
    assert "prod-us" in md and "0.67" in md and "Scope: every production cluster." in md
    html = out(tmp_path / "out", "html")
    assert "prod-eu" in html and not re.search(r"<(script|link)[^>]+(src|href)=[\"']?https?://", html)


EXECUTED = [
    "#| label: tbl-top\nfrom IPython.display import Markdown, display\n"
    "display(Markdown('| check | status |\\n|---|---|\\n| backup_offsite | fail |'))",
    "#| label: fig-default\n#| fig-cap: Default renderer\nimport plotly.graph_objects as go\n"
    "go.Figure(go.Bar(x=['a', 'b'], y=[5, 7])).show()",
    # The 'notebook' renderer adds a plotly.js loader output and figure HTML that links a CDN.
    "#| label: fig-notebook\n#| fig-cap: Notebook renderer\nimport plotly.io as pio\n"
    "pio.renderers.default = 'plotly_mimetype+notebook'\ngo.Figure(go.Bar(x=['c', 'd'], y=[8, 9])).show()",
]


def test_really_executed_notebook_end_to_end(tmp_path: Path, chromium: str) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in EXECUTED]
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    nbformat.write(nb, tmp_path / "nb.ipynb")
    embeds = "\n\n".join(f"{{{{< embed nb.ipynb#{label} >}}}}" for label in ("tbl-top", "fig-default", "fig-notebook"))
    (tmp_path / "r.qmd").write_text(f"---\ntitle: Executed\n---\n\n{embeds}\n")

    assert export_figures([tmp_path / "nb.ipynb"], chromium=chromium).exported == 2
    render(tmp_path / "r.qmd", tmp_path / "out", renderer="pandoc")

    md = (tmp_path / "out" / "r.md").read_text()
    assert "| backup_offsite | fail   |" in md
    assert "![Default renderer](figures/fig-default.png)" in md
    assert "![Notebook renderer](figures/fig-notebook.png)" in md
    assert "<script" not in md  # neither the loader nor the figure HTML reach the Markdown
    html = (tmp_path / "out" / "r.html").read_text()
    assert html.count("* plotly.js v") == 1 and html.count("Plotly.newPlot(") == 2
    assert "cdnjs" not in html and '"y":[8,9]' in html


def test_a_figure_cell_that_wrote_a_sentence_gets_no_figure_number(tmp_path: Path) -> None:
    from tests.render.conftest import burndown, code_cell, markdown_output, plotly_output, write_notebook

    write_notebook(tmp_path / "nb.ipynb", [
        code_cell("#| label: fig-changes\n#| fig-cap: Changes\nshow()", [markdown_output("*Nothing changed.*")]),
        code_cell("#| label: fig-burndown\n#| fig-cap: Burndown\nshow()", [plotly_output(burndown())]),
    ])
    qmd = tmp_path / "doc.qmd"
    qmd.write_text("---\ntitle: T\n---\n\n{{< embed nb.ipynb#fig-changes >}}\n\n{{< embed nb.ipynb#fig-burndown >}}\n")
    render(qmd, tmp_path / "out", renderer="pandoc")
    md = (tmp_path / "out" / "doc.md").read_text()
    assert "*Nothing changed.*" in md and "Changes" not in md
    assert "Figure 1: Burndown" in md and "Figure 2" not in md


def test_the_html_prints_to_a_pdf_with_its_text(exported: Path, tmp_path: Path, chromium: str) -> None:
    from pypdf import PdfReader

    from readiness.report._pdf import print_pdf

    render(exported, tmp_path / "out", renderer="pandoc")
    printed = print_pdf(tmp_path / "out" / "production-readiness.html", tmp_path / "out" / "report.pdf")
    assert printed.pdf == tmp_path / "out" / "report.pdf" and printed.note == ""
    pages = [p.extract_text() for p in PdfReader(printed.pdf).pages]
    text = "\n".join(pages)
    assert "prod-eu" in text and "0.82" in text and "2 of 2" in text
    assert pages[0].lstrip().startswith("Production readiness")
    assert any(p.lstrip().startswith("Trends") for p in pages[1:]), "a section starts a new page"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
