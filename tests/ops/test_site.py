"""``readiness site`` without Quarto: the pages of _quarto.yml, every internal link resolving."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from readiness.cli import main
from readiness.errors import ReportError
from readiness.report import STEM, site, write_index
from readiness.report._export import find_chromium

ROOT = Path(__file__).resolve().parents[2]


def _fake_month(reports: Path, month: str, overall: float, demo: bool = True) -> None:
    """A month as `readiness report` leaves it: the two documents, a figure, report.json."""
    d = reports / month
    (d / "figures").mkdir(parents=True)
    (d / f"{STEM}.html").write_text(f"<html><body><h1>Report {month}</h1>"
                                    f'<img src="figures/fig-score.png"></body></html>')
    (d / f"{STEM}.md").write_text(f"# Report {month}\n")
    (d / "figures" / "fig-score.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    score = {"overall": overall, "verdict": "NOT READY", "as_of": f"{month}-06", "demo": demo,
             "blockers": [{"id": "B1", "resolved": False}]}
    (d / "report.json").write_text(json.dumps({"score": score}))


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's tracked files (its site sources) with two rendered months in reports/."""
    dest = tmp_path_factory.mktemp("checkout")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for rel in files:
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("reports/", "tests/checks/")):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
    for month, overall in (("2026-02", 55.0), ("2026-03", 61.4)):
        _fake_month(dest / "reports", month, overall)
    write_index(dest / "reports")
    return dest


@pytest.fixture(scope="module")
def built(checkout: Path) -> site.SiteResult:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GITHUB_REF_NAME", raising=False)  # set in GitHub Actions: it would name the branch
        return site.build(checkout, renderer="pandoc", repo_url="https://git.example/me/readiness")


def test_every_page_of_quarto_yml_is_rendered(built: site.SiteResult, checkout: Path) -> None:
    assert built.renderer == "pandoc"
    expected = {"index.html", "reports/index.html",  # _quarto.yml renders docs/*.md and docs/runbooks/*.md
                *(f"docs/{p.stem}.html" for p in (checkout / "docs").glob("*.md")),
                *(f"docs/runbooks/{p.stem}.html" for p in (checkout / "docs" / "runbooks").glob("*.md"))}
    assert "docs/collect.html" in expected and set(built.pages) == expected and len(expected) >= 6
    for page in expected:
        assert (built.out_dir / page).is_file()
    for month in ("2026-02", "2026-03"):  # the reports are copied as resources, unchanged
        assert (built.out_dir / month).exists() is False
        assert (built.out_dir / "reports" / month / f"{STEM}.html").read_text() == \
            (checkout / "reports" / month / f"{STEM}.html").read_text()
        assert (built.out_dir / "reports" / month / "figures" / "fig-score.png").is_file()
    assert built.notes == []


def test_every_internal_link_resolves(built: site.SiteResult) -> None:
    links = site.internal_links(built.out_dir)
    assert sum(len(t) for t in links.values()) > 30  # the walk saw the navbars, docs links, report links
    assert site.broken_links(built.out_dir) == []


def test_links_mean_what_they_meant_in_the_repository(built: site.SiteResult) -> None:
    home = (built.out_dir / "index.html").read_text()
    assert 'href="docs/collect.html"' in home  # a page's source -> the page
    assert 'href="https://git.example/me/readiness/tree/main/deploy/pvc"' in home  # a folder -> the repository
    assert 'href="https://git.example/me/readiness/blob/main/deploy/base/rbac.yaml"' in home
    assert "{{< include" not in home and "Production readiness" in home
    index = (built.out_dir / "reports" / "index.html").read_text()
    assert 'href="2026-03/production-readiness.html"' in index and 'href="../index.html"' in index
    assert index.index("2026-03") < index.index("2026-02")  # newest first
    runbook = (built.out_dir / "docs" / "runbooks" / "ReadinessEvidenceStale.html").read_text()
    assert 'href="https://git.example/me/readiness/blob/main/deploy/monitoring/prometheusrule.yaml"' in runbook
    assert 'href="../../site.css"' in runbook and 'href="../../reports/index.html"' in runbook


def test_without_a_repository_url_repository_links_become_text(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.delenv("GITHUB_SERVER_URL", raising=False)
    result = CliRunner().invoke(main, ["site", "--root", str(checkout), "--renderer", "pandoc"])
    assert result.exit_code == 0, result.output
    assert "note: " in result.stderr and "website.repo-url" in result.stderr
    home = (checkout / "_site" / "index.html").read_text()
    assert "deploy/pvc" in home and 'href="deploy/pvc"' not in home
    assert site.broken_links(checkout / "_site") == []
    assert not [p for p in checkout.iterdir() if p.name.startswith("._site")]  # no staging left behind


def test_in_github_actions_repository_links_point_at_the_repository(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "team/readiness")
    monkeypatch.setenv("GITHUB_REF_NAME", "release")
    root = _project(tmp_path, SMALL.replace("  repo-url: https://forge.example/small/\n  repo-branch: trunk\n", ""),
                    {"index.qmd": "# Home\n\n[code](src)\n", "guide/a.md": "# A\n", "src/x.py": ""})
    assert site.build(root, renderer="pandoc").notes == []
    home = (root / "_site" / "index.html").read_text()
    assert 'href="https://github.example/team/readiness/tree/release/src"' in home


def _project(tmp_path: Path, quarto_yml: str, pages: dict[str, str]) -> Path:
    (tmp_path / "_quarto.yml").write_text(quarto_yml)
    for rel, text in pages.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


SMALL = """project:
  type: website
  render: [index.qmd, "guide/*.md"]
website:
  title: Small
  repo-url: https://forge.example/small/
  repo-branch: trunk
  navbar:
    left:
      - {text: Guide, href: guide/a.md}
"""


def test_link_rules_on_a_small_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_REF_NAME", "not-this-one")  # website.repo-branch wins
    root = _project(tmp_path, SMALL, {
        "index.qmd": "---\ntitle: Home\n---\n\n{{< include part.md >}}\n",
        "part.md": "See [a](guide/a.md#top), [b](guide/b.md), [code](src/x.py), [gone](nowhere.md), [web](https://x.org).\n",
        "guide/a.md": "# Guide A\n\nBack [home](../index.qmd), to [b](b.md).\n",
        "guide/b.md": "## Only a section\n\n```yaml\n# a comment, not a title\n```\n",
        "src/x.py": "print(1)\n",
    })
    result = site.build(root, renderer="pandoc")
    home = (root / "_site" / "index.html").read_text()
    assert 'href="guide/a.html#top"' in home and 'href="guide/b.html"' in home
    assert 'href="https://forge.example/small/blob/trunk/src/x.py"' in home
    assert 'href="https://x.org"' in home
    assert result.notes == ["index.qmd: link 'nowhere.md' points at nothing (nowhere.md is neither on the site "
                            "nor in the repository)"]
    a = (root / "_site" / "guide" / "a.html").read_text()
    assert "<title>Guide A – Small</title>" in a
    assert 'href="../index.html"' in a and 'href="b.html"' in a and 'href="a.html" aria-current="page"' in a
    assert site.broken_links(root / "_site") == [("index.html", "nowhere.md")]
    b = (root / "_site" / "guide" / "b.html").read_text()  # no level-1 heading: no title block
    assert "<title>Only a section – Small</title>" in b and 'class="title"' not in b
    assert "# a comment, not a title" in b


def test_a_page_matching_nothing_is_a_clear_error(tmp_path: Path) -> None:
    root = _project(tmp_path, SMALL.replace('"guide/*.md"', "reports/index.md"), {"index.qmd": "# Home\n"})
    with pytest.raises(ReportError, match=r"'reports/index.md' matches no page.*readiness report"):
        site.build(root, renderer="pandoc")
    assert not (root / "_site").exists()


def test_asking_for_quarto_without_it_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    root = _project(tmp_path, SMALL.replace(', "guide/*.md"', ""), {"index.qmd": "# Home\n"})
    with pytest.raises(ReportError, match="no quarto command"):
        site.build(root, renderer="quarto")


@pytest.mark.slow
def test_pages_render_in_headless_chromium(built: site.SiteResult, tmp_path: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium (make chromium installs Debian's)")
    for page in ("index.html", "reports/index.html", "docs/runbooks/ReadinessBlockerReopened.html"):
        shot = tmp_path / (page.replace("/", "_") + ".png")
        subprocess.run([str(chromium), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1200,900", f"--screenshot={shot}", (built.out_dir / page).as_uri()],
                       capture_output=True, timeout=120, check=False)
        assert shot.is_file() and shot.stat().st_size > 10_000, page  # a blank page compresses far smaller


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto CLI not installed (it cannot be installed here)")
def test_quarto_gives_the_same_pages_and_links(checkout: Path, built: site.SiteResult) -> None:
    # Last of this module: it replaces the checkout's _site/ that the tests above read.
    pandoc_links = {p: sorted(os.path.relpath(t, built.out_dir) for t in ts)
                    for p, ts in site.internal_links(built.out_dir).items() if p in built.pages}
    quarto = site.build(checkout, renderer="quarto", repo_url="https://git.example/me/readiness")
    assert quarto.renderer == "quarto" and quarto.pages == built.pages
    assert site.broken_links(quarto.out_dir) == []
    quarto_links = site.internal_links(quarto.out_dir)
    for page, targets in pandoc_links.items():  # every link of the pandoc page is on Quarto's page too
        theirs = {os.path.relpath(t, quarto.out_dir) for t in quarto_links[page]}
        assert set(targets) - {"site.css"} <= theirs, page
