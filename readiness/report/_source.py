"""The built-in renderer's reading of a .qmd: front matter, includes, embeds, cross-references.

Turns a Quarto source into Pandoc Markdown for one target ("gfm" or "html"); ``readiness.report._render``
hands that to pandoc. The supported subset is listed in ``readiness.report._render``'s docstring.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.errors import ReportError
from readiness.report._export import DEFAULT_HEIGHT, write_interactive
from readiness.report._notebook import (
    PLOTLY_MIME,
    PNG_MIME,
    NotebookNode,
    cell_name,
    cell_options,
    find_cells,
    is_plotly_loader,
    read_notebook,
)
from readiness.store import configfile

# Front-matter keys the built-in renderer uses, and Quarto keys it accepts but does not need.
META_KEYS = ("title", "subtitle", "author", "date", "lang")
ACCEPTED_KEYS = ("format", "notebook-links", "notebook-view", "execute", "jupyter", "project")

_SHORTCODE_LINE = re.compile(r"^[ \t]*\{\{<\s*(?P<name>[\w-]+)\s*(?P<args>.*?)\s*>\}\}[ \t]*$")
_CROSSREF = re.compile(r"(?<![\w@])@((?:fig|tbl)-[A-Za-z0-9_-]*[A-Za-z0-9_])")
_KINDS = {"fig": "Figure", "tbl": "Table"}


@dataclass
class Source:
    """A .qmd with its includes expanded: metadata and Pandoc Markdown body with embed shortcodes."""

    qmd: Path
    meta: dict[str, Any]
    body: str


def _front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """(metadata, body, how many lines the front matter took)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text, 0
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return _yaml("\n".join(lines[1:end]), path, first_line=2), "\n".join(lines[end + 1 :]), end + 1
    raise ReportError(f"{path}: front matter is not closed", hint="end it with a line '---'")


def project_root(qmd: Path) -> Path:
    """The folder holding ``_quarto.yml``, searched upwards from the .qmd (else the .qmd's folder)."""
    for folder in (qmd.parent, *qmd.parent.parents):
        if (folder / "_quarto.yml").is_file():
            return folder
    return qmd.parent


def _yaml(text: str, path: Path, first_line: int = 1) -> dict[str, Any]:
    # ConfigError names the file's line: front matter starts at its second line (after '---').
    data = configfile.parse(text, path, first_line=first_line)[0] or {}
    if not isinstance(data, dict):
        raise ReportError(f"{path}: front matter must be a YAML mapping")
    return data


def _words(args: str, where: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError as exc:
        raise ReportError(f"{where}: cannot read shortcode arguments {args!r} ({exc})") from None


def _check_meta(meta: dict[str, Any], path: Path) -> None:
    unknown = sorted(set(meta) - set(META_KEYS) - set(ACCEPTED_KEYS))
    if unknown:
        raise ReportError(
            f"{path}: front matter key(s) {', '.join(unknown)} not supported by the built-in renderer",
            hint=f"use only {', '.join(META_KEYS + ACCEPTED_KEYS)} (see readiness/report/_render.py)",
        )


def read_source(qmd: Path) -> Source:
    """Front matter (merged over ``_quarto.yml``) and body with ``{{< include >}}`` expanded."""
    meta, body, skipped = _front_matter(qmd.read_text(encoding="utf-8"), qmd)
    _check_meta(meta, qmd)
    root = project_root(qmd)
    project: dict[str, Any] = {}
    if (root / "_quarto.yml").is_file():
        project = _yaml(configfile.read_text(root / "_quarto.yml", "Quarto project file"), root / "_quarto.yml")
        _check_meta(project, root / "_quarto.yml")
    merged = {k: v for k, v in {**project, **meta}.items() if k in META_KEYS}
    return Source(qmd, merged, _expand_includes(body, qmd, qmd, root, (qmd,), skipped))


def _expand_includes(text: str, source: Path, qmd: Path, root: Path, stack: tuple[Path, ...], skipped: int = 0) -> str:
    """Quarto semantics: paths relative to the main .qmd (not the including file), '/' = project root."""
    out: list[str] = []
    for number, line in enumerate(text.splitlines(), start=skipped + 1):
        m = _SHORTCODE_LINE.match(line)
        if not m or m["name"] != "include":
            out.append(line)
            continue
        args = _words(m["args"], f"{source}:{number}")
        if len(args) != 1:
            raise ReportError(f"{source}:{number}: include takes exactly one path, got {m['args']!r}")
        rel = args[0]
        path = (root / rel.lstrip("/")) if rel.startswith("/") else (qmd.parent / rel)
        if not path.is_file():
            raise ReportError(
                f"{source}:{number}: included file '{rel}' not found (looked for {path})",
                hint="include paths are relative to the main .qmd, or to the project root when they start with '/'",
            )
        if path.resolve() in {p.resolve() for p in stack}:
            raise ReportError(f"{source}:{number}: '{rel}' includes itself")
        content = path.read_text(encoding="utf-8")
        if _front_matter(content, path)[2]:
            raise ReportError(f"{path}: an included file must not have front matter", hint="move it to the main .qmd")
        out += ["", _expand_includes(content, path, qmd, root, (*stack, path)), ""]
    return "\n".join(out)


def _code_block(text: str) -> str:
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    return f"{fence} text\n{text.rstrip()}\n{fence}"


def _raw_html(html: str) -> str:
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", html)), default=0))
    return f"{fence}{{=html}}\n{html.strip()}\n{fence}"


@dataclass
class _Embedded:
    """One embedded cell: where it comes from and how to name its figures."""

    path: Path
    index: int
    cell: NotebookNode
    label: str
    alt: str


@dataclass
class Embedder:
    """Expands ``{{< embed nb.ipynb#label >}}`` into Markdown for one target, writing figure files.

    Numbers figures and tables in order of appearance. Expanding the same source for several
    targets gives the same numbers and figure names.
    """

    source: Source
    out_dir: Path
    numbers: dict[str, str] = field(default_factory=dict)
    plotly_divs: int = 0
    linked_figures: int = 0
    _books: dict[Path, NotebookNode] = field(default_factory=dict)
    _used: dict[str, int] = field(default_factory=dict)

    def expand(self, target: str) -> str:
        """The body for ``target`` ("gfm" or "html"), embeds and cross-references resolved."""
        self.plotly_divs = self.linked_figures = 0
        self._used = {}
        out = []
        for line in self.source.body.splitlines():
            m = _SHORTCODE_LINE.match(line)
            if m and m["name"] == "embed":
                out += ["", self._embed(m["args"], target), ""]
            elif "{{<" in line:
                raise ReportError(
                    f"{self.source.qmd}: unsupported shortcode in line {line.strip()!r}",
                    hint="the built-in renderer supports only include and embed, each alone on its line",
                )
            else:
                out.append(line)
        return _CROSSREF.sub(self._crossref, "\n".join(out))

    def _crossref(self, m: re.Match[str]) -> str:
        label = m[1]
        if label not in self.numbers:
            raise ReportError(
                f"{self.source.qmd}: cross-reference @{label} has no numbered figure or table",
                hint=f"embed a cell labelled '{label}' that has a {label[:3]}-cap option",
            )
        return f"[{self.numbers[label]}](#{label})"

    def _notebook(self, path: Path) -> NotebookNode:
        if path not in self._books:
            self._books[path] = read_notebook(path)
        return self._books[path]

    def _embed(self, args: str, target: str) -> str:
        words = _words(args, str(self.source.qmd))
        if len(words) != 1 or "#" not in words[0]:
            raise ReportError(
                f"{self.source.qmd}: unsupported embed {{{{< embed {args} >}}}}",
                hint="write {{< embed path/to/notebook.ipynb#label >}} with no options",
            )
        rel, _, ident = words[0].partition("#")
        path = self.source.qmd.parent / rel
        cells = find_cells(self._notebook(path), ident, path)
        return "\n\n".join(self._cell(path, index, cell, ident, target) for index, cell in cells)

    def _cell(self, path: Path, index: int, cell: NotebookNode, ident: str, target: str) -> str:
        options = cell_options(cell)
        label = str(options.get("label") or ident)
        prefix = label.split("-", 1)[0]
        caption = options.get(f"{prefix}-cap") if prefix in _KINDS else None
        embedded = _Embedded(path, index, cell, label, str(options.get("fig-alt") or caption or label))
        blocks = [b for o in cell.get("outputs", []) if (b := self._output(embedded, o, target))]
        drawn = any(PLOTLY_MIME in o.get("data", {}) or PNG_MIME in o.get("data", {}) for o in cell.get("outputs", []))
        if prefix == "fig" and not drawn:  # a sentence instead of a figure (charts.show): no figure number
            caption = None
        if not caption:
            return "\n\n".join(blocks)
        count = sum(1 for k in self.numbers if k.startswith(f"{prefix}-"))
        self.numbers.setdefault(label, f"{_KINDS[prefix]} {count + 1}")
        caption = f"{self.numbers[label]}: {caption}"
        styled = f"*{caption}*" if target == "gfm" else f"::: {{.caption}}\n{caption}\n:::"
        # Quarto's defaults: table captions above the table, figure captions below the figure.
        blocks.insert(0 if prefix == "tbl" else len(blocks), styled)
        return f"::: {{#{label}}}\n\n" + "\n\n".join(blocks) + "\n\n:::"

    def _name(self, label: str) -> str:
        """``label`` for a cell's first figure, ``label-2`` for its second, and so on."""
        self._used[label] = self._used.get(label, 0) + 1
        return label if self._used[label] == 1 else f"{label}-{self._used[label]}"

    def _output(self, where: _Embedded, output: NotebookNode, target: str) -> str | None:
        kind = output.get("output_type")
        if kind == "error":
            raise ReportError(
                f"{where.path}: {cell_name(where.cell, where.index)} failed with "
                f"{output.get('ename')}: {output.get('evalue')}",
                hint="fix the notebook or its data and run the report again",
            )
        if kind == "stream":
            return _code_block(str(output.get("text", "")))
        data = output.get("data", {})
        html = str(data.get("text/html", ""))
        figure = data.get(PLOTLY_MIME)
        if "text/markdown" in data:
            return str(data["text/markdown"])
        if target == "html" and figure:
            return self._plotly_div(figure, where)
        if PNG_MIME in data:
            return self._png(str(data[PNG_MIME]), where)
        if figure:
            return self._figure_link(figure, where)
        if html and not is_plotly_loader(html):
            return _raw_html(html)
        if "text/plain" in data and not html:
            return _code_block(str(data["text/plain"]))
        return None

    def _png(self, b64: str, where: _Embedded) -> str:
        name = f"{self._name(where.label)}.png"
        target = self.out_dir / "figures" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(b64))
        return f"![{_escape(where.alt)}](figures/{name})"

    def _figure_link(self, figure: dict[str, Any], where: _Embedded) -> str:
        name = f"{self._name(where.label)}.html"
        write_interactive(figure, self.out_dir / "figures" / name)
        self.linked_figures += 1
        return f"[{_escape(where.alt)} (interactive figure)](figures/{name})"

    def _plotly_div(self, figure: dict[str, Any], where: _Embedded) -> str:
        import plotly.io as pio

        spec = {"data": figure.get("data", []), "layout": figure.get("layout", {})}
        div = pio.to_html(
            spec,
            include_plotlyjs=False,  # plotly.js goes into the page once, see readiness.report._render
            full_html=False,
            validate=False,
            div_id=f"{self._name(where.label)}-plot",
            default_height=f"{DEFAULT_HEIGHT}px",
            config={"displaylogo": False, "responsive": True},
        )
        self.plotly_divs += 1
        return _raw_html(div)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
