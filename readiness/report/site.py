"""The reports site that ``_quarto.yml`` describes, rendered with Quarto or, without it, with pandoc.

``build(root)`` reads the project's ``_quarto.yml`` and writes ``<output-dir>`` (``_site/``):

* every page of ``project.render`` (globs; ``.qmd`` and ``.md``) as ``<page>.html`` at the same
  relative path, with the site's navbar (``website.title``, ``website.navbar.left``) and, when
  ``format.html.toc`` is true, a table of contents;
* every file matching ``project.resources`` (globs), copied unchanged (the monthly reports).

With ``quarto`` on PATH (and ``renderer`` not "pandoc") Quarto renders the project; otherwise the
pandoc of the ``pypandoc-binary`` wheel renders each page, expanding ``{{< include >}}`` as Quarto
does. Either way the same link pass runs over the pages afterwards, so both give the same pages
and links: a link to a page's source (``docs/collect.md``) points at its page
(``docs/collect.html``); a link to a repository file the site does not publish (``deploy/pvc``)
points at the repository (``<repo-url>/blob/<branch>/deploy/pvc``) when its URL is known
(``repo_url``, else ``website.repo-url``, else ``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY`` in GitHub
Actions; the branch: ``website.repo-branch``, else ``$GITHUB_REF_NAME``, else main) and is
otherwise shown as plain text, with a note. A link to nothing is kept and noted.

Everything is written into a staging folder beside the output and swapped in only when all of it
succeeded. Errors (no ``_quarto.yml``, a page that matches nothing, pandoc or Quarto failing) raise
``ReportError`` naming the file.
"""

from __future__ import annotations

import glob
import html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from readiness.errors import ReportError
from readiness.report._source import _expand_includes, _front_matter, _yaml

RENDERERS = ("auto", "quarto", "pandoc")
CSS = Path(__file__).parent / "templates" / "site.css"
PAGE_SUFFIXES = (".qmd", ".md")
_ANCHOR = re.compile(r'<a\b(?P<before>[^>]*?)\bhref="(?P<href>[^"]*)"(?P<after>[^>]*)>(?P<text>.*?)</a>', re.S)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Project:
    """What ``_quarto.yml`` says about the site; paths are relative to ``root`` (POSIX)."""

    root: Path
    output_dir: str
    pages: tuple[str, ...]
    resources: tuple[str, ...]
    title: str
    navbar: tuple[tuple[str, str], ...]
    toc: bool
    repo_url: str | None
    repo_branch: str


@dataclass
class SiteResult:
    """What ``build`` wrote: the renderer used, the output folder, the pages (relative .html paths)."""

    renderer: str
    out_dir: Path
    pages: list[str]
    resources: int
    notes: list[str] = field(default_factory=list)


def _page_html(page: str) -> str:
    return str(PurePosixPath(page).with_suffix(".html"))


def load_project(root: Path | str = ".") -> Project:
    """Read ``root/_quarto.yml``. Raises ``ReportError`` when it is missing, not a website, or a
    page of ``project.render`` matches no file."""
    root = Path(root).resolve()
    config = root / "_quarto.yml"
    if not config.is_file():
        raise ReportError(f"{config}: not found", hint="run 'readiness site' in the repository root, or pass --root")
    doc = _yaml(config.read_text(encoding="utf-8"), config)
    project, website = doc.get("project") or {}, doc.get("website") or {}
    if project.get("type") != "website":
        raise ReportError(f"{config}: project.type is {project.get('type')!r}, not 'website'")
    pages: list[str] = []
    for pattern in project.get("render") or []:
        found = sorted(str(PurePosixPath(p.relative_to(root))) for p in _glob(root, str(pattern))
                       if p.suffix in PAGE_SUFFIXES)
        if not found:
            hint = ("run 'readiness report' first: it writes reports/index.md" if str(pattern).startswith("reports/")
                    else "fix project.render in _quarto.yml")
            raise ReportError(f"{config}: project.render entry '{pattern}' matches no page", hint=hint)
        pages += [p for p in found if p not in pages]
    if not pages:
        raise ReportError(f"{config}: project.render lists no page", hint="list the site's pages under project.render")
    navbar = tuple((str(item.get("text") or item.get("href")), str(item.get("href")))
                   for item in (website.get("navbar") or {}).get("left") or [] if isinstance(item, dict))
    html_format = ((doc.get("format") or {}).get("html") or {})
    return Project(
        root=root, output_dir=str(project.get("output-dir") or "_site"), pages=tuple(pages),
        resources=tuple(str(r) for r in project.get("resources") or []), title=str(website.get("title") or ""),
        navbar=navbar, toc=bool(html_format.get("toc")) if isinstance(html_format, dict) else False,
        repo_url=str(website["repo-url"]).rstrip("/") if website.get("repo-url") else None,
        repo_branch=str(website.get("repo-branch") or os.environ.get("GITHUB_REF_NAME") or "main"),
    )


def _glob(root: Path, pattern: str) -> list[Path]:
    return [Path(p) for p in glob.glob(str(root / pattern), recursive=True) if Path(p).is_file()]


def _github_repo_url() -> str | None:
    server, repo = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    return f"{server.rstrip('/')}/{repo}" if server and repo else None


def build(root: Path | str = ".", *, renderer: str = "auto", repo_url: str | None = None,
          say: Progress = lambda _: None) -> SiteResult:
    """Render the site of ``root/_quarto.yml`` into its output folder (see the module docstring)."""
    if renderer not in RENDERERS:
        raise ReportError(f"unknown renderer '{renderer}'", hint=f"use one of {', '.join(RENDERERS)}")
    project = load_project(root)
    quarto = shutil.which("quarto")
    if renderer == "quarto" and not quarto:
        raise ReportError("renderer 'quarto' asked for, but no quarto command on PATH",
                          hint="install Quarto, or use --renderer pandoc")
    out_dir = project.root / project.output_dir
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=project.root))
    staging.chmod(0o755)
    try:
        if quarto and renderer != "pandoc":
            used = "quarto"
            _render_quarto(quarto, project, staging)
        else:
            used = "pandoc"
            for page in project.pages:
                say(f"  page {page}")
                _render_page(project, page, staging)
            shutil.copyfile(CSS, staging / CSS.name)
        copied = _copy_resources(project, staging)
        notes = fix_links(project, staging, repo_url or project.repo_url or _github_repo_url())
        from readiness.report._build import _replace_dir

        _replace_dir(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SiteResult(used, out_dir, [_page_html(p) for p in project.pages], copied, notes)


def _render_quarto(quarto: str, project: Project, staging: Path) -> None:
    cmd = [quarto, "render", "--output-dir", str(staging)]
    proc = subprocess.run(cmd, cwd=project.root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ReportError(f"quarto render failed: {last}", hint=f"run 'quarto render' in {project.root}")


def _copy_resources(project: Project, staging: Path) -> int:
    """Copy the ``project.resources`` files into ``staging`` (Quarto does it too; copying again is harmless)."""
    count = 0
    for pattern in project.resources:
        for src in _glob(project.root, pattern):
            rel = src.relative_to(project.root)
            if project.output_dir in rel.parts[:1] or rel.name.startswith("."):
                continue
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            count += 1
    return count


def _navbar(project: Project, page: str) -> str:
    here = PurePosixPath(page).parent
    links = []
    for text, href in project.navbar:
        target = _page_html(href) if PurePosixPath(href).suffix in PAGE_SUFFIXES else href
        rel = os.path.relpath(target, here)
        current = ' aria-current="page"' if target == _page_html(page) else ""
        links.append(f'<a href="{html.escape(rel)}"{current}>{html.escape(text)}</a>')
    home = html.escape(os.path.relpath("index.html", here))
    return (f'<nav class="site-nav"><a class="site-title" href="{home}">{html.escape(project.title)}</a>'
            f'{"".join(links)}</nav>\n')


def _render_page(project: Project, page: str, staging: Path) -> None:
    import pypandoc

    src = project.root / page
    meta, body, skipped = _front_matter(src.read_text(encoding="utf-8"), src)
    body = _expand_includes(body, src, src, project.root, (src,), skipped)
    title, body = _title(meta, body)
    label = title or _first_heading(body) or PurePosixPath(page).stem
    target = staging / _page_html(page)
    target.parent.mkdir(parents=True, exist_ok=True)
    depth = PurePosixPath(page).parent
    with tempfile.NamedTemporaryFile("w", suffix=".html", dir=staging, delete=False, encoding="utf-8") as nav:
        nav.write(_navbar(project, page))
    args = ["--standalone", "--wrap=none", f"--include-before-body={nav.name}",
            f"--css={os.path.relpath(CSS.name, depth)}",
            f"--metadata=pagetitle:{label} – {project.title}" if project.title else f"--metadata=pagetitle:{label}"]
    if title:
        args.append(f"--metadata=title:{title}")
    if project.toc:
        args += ["--toc", "--toc-depth=3"]  # Quarto's default depth
    try:
        text = pypandoc.convert_text(body, "html5", format="markdown-implicit_figures", extra_args=args,
                                     cworkdir=str(src.parent))
    except (RuntimeError, OSError) as exc:
        raise ReportError(f"{src}: pandoc failed: {exc}".replace("\n", " ")) from None
    finally:
        os.unlink(nav.name)
    target.write_text(str(text), encoding="utf-8")


def _headings(body: str) -> list[tuple[int, str, int]]:
    """(level, text, line index) of the ATX headings outside fenced code blocks."""
    found, fence = [], ""
    for i, line in enumerate(body.splitlines()):
        stripped = line.lstrip()
        if fence:
            fence = "" if stripped.startswith(fence) else fence
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif m := re.match(r"^(#{1,6})\s+(.+?)\s*#*\s*$", line):
            found.append((len(m.group(1)), m.group(2), i))
    return found


def _first_heading(body: str) -> str | None:
    return next((text for _, text, _ in _headings(body)), None)


def _title(meta: dict[str, object], body: str) -> tuple[str, str]:
    """(title, body): the front matter's title, else the first level-1 heading, which is then
    taken out of the body, as is a first heading that only repeats the front matter's title.
    A page with neither has no title block ("")."""
    lines = body.splitlines()
    first = next(((text, i) for level, text, i in _headings(body) if level == 1), None)
    title = str(meta.get("title") or (first[0] if first else ""))
    if first and first[0] == title:
        del lines[first[1]]
        body = "\n".join(lines)
    return title, body


def fix_links(project: Project, site: Path, repo_url: str | None) -> list[str]:
    """Point every relative link of the site's pages at what it means on the site (module docstring).

    Returns notes: links turned into text for want of a repository URL, and links to nothing.
    """
    notes: list[str] = []
    unlinked: list[str] = []
    pages = set(project.pages)
    for page in project.pages:
        out = site / _page_html(page)
        if not out.is_file():
            raise ReportError(f"the renderer did not write {_page_html(page)}", hint="see the renderer's output above")
        here = PurePosixPath(page).parent

        def rewrite(m: re.Match[str], page: str = page, here: PurePosixPath = here) -> str:
            href = html.unescape(m["href"])
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:
                return m.group(0)
            rel = PurePosixPath(os.path.normpath(here / unquote(parts.path)))
            frag = f"#{parts.fragment}" if parts.fragment else ""
            if str(rel).startswith(".."):
                notes.append(f"{page}: link '{href}' leaves the site")
                return m.group(0)
            if str(rel) in pages:
                new = os.path.relpath(_page_html(str(rel)), here) + frag
            elif (site / rel).is_file() or (site / rel / "index.html").is_file():
                return m.group(0)
            elif (project.root / rel).exists():
                if not repo_url:
                    unlinked.append(f"{page}: {rel}")
                    return f'<span class="repo-path">{m["text"]}</span>'
                kind = "tree" if (project.root / rel).is_dir() else "blob"
                new = f"{repo_url}/{kind}/{project.repo_branch}/{rel}{frag}"
            else:
                notes.append(f"{page}: link '{href}' points at nothing ({rel} is neither on the site nor in "
                             f"the repository)")
                return m.group(0)
            return f'<a{m["before"]}href="{html.escape(new)}"{m["after"]}>{m["text"]}</a>'

        text = out.read_text(encoding="utf-8")
        out.write_text(_ANCHOR.sub(rewrite, text), encoding="utf-8")
    if unlinked:
        notes.append(f"{len(unlinked)} link(s) to repository files shown as text: no repository URL (set "
                     f"website.repo-url in _quarto.yml or pass --repo-url), e.g. {unlinked[0]}")
    return notes


class _Links(HTMLParser):
    """The href/src of the tags that load or link (a, link, img, script, iframe, source); a
    script's text is not markup, so URLs inside inlined JavaScript are not taken for links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "link", "img", "script", "iframe", "source"):
            self.found += [v for k, v in attrs if k in ("href", "src") and v]


def internal_links(site: Path) -> dict[str, list[str]]:
    """Every relative link target of every HTML page under ``site``: {page: [target path, ...]}.

    Targets are resolved against the page's folder, fragment and query dropped (the tests walk
    them to find links that resolve to no file).
    """
    found: dict[str, list[str]] = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        targets = []
        for raw in parser.found:
            parts = urlsplit(raw)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            targets.append(os.path.normpath(page.parent / unquote(parts.path)))
        found[str(page.relative_to(site))] = targets
    return found


def broken_links(site: Path) -> list[tuple[str, str]]:
    """(page, target) for every relative link of ``internal_links`` that resolves to no file in ``site``."""
    out: list[tuple[str, str]] = []
    for page, targets in internal_links(site).items():
        for t in targets:
            p = Path(t)
            if not (p.is_file() or (p.is_dir() and (p / "index.html").is_file())):
                out.append((page, os.path.relpath(t, site)))
    return out
