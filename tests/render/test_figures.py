"""readiness.report._export: finding Chromium, exporting every figure through one kaleido session."""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from typing import Any

import kaleido
import nbformat
import pytest

from readiness.errors import ReportError
from readiness.report._export import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    NO_CHROMIUM_ASKED_NOTE,
    NO_CHROMIUM_NOTE,
    export_figures,
    find_chromium,
    write_interactive,
)
from readiness.report._notebook import PLOTLY_MIME, PNG_MIME
from tests.render.conftest import burndown, categories, code_cell, error_output, plotly_output, write_notebook

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def pngs(path: Path) -> list[tuple[bytes, dict[str, Any]]]:
    nb = nbformat.read(path, as_version=4)
    return [
        (base64.b64decode(o.data[PNG_MIME]), o.metadata[PNG_MIME])
        for c in nb.cells
        for o in c.get("outputs", [])
        if PNG_MIME in o.get("data", {})
    ]


def test_no_chromium_env_wins(no_chromium: None) -> None:
    assert find_chromium() is None


def test_browser_path_is_used_when_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert find_chromium() == str(fake)


def test_chromium_found_on_path_by_debian_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(fake)


def test_export_uses_one_browser_for_all_figures(
    tmp_path: Path, chromium: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three figures in two notebooks; count real browser starts by wrapping kaleido's own open().
    first = write_notebook(
        tmp_path / "a.ipynb",
        [
            code_cell("#| label: fig-a\nfig.show()", [plotly_output(burndown())]),
            code_cell("#| label: fig-b\nfig.show()", [plotly_output(categories())]),
        ],
    )
    wide = burndown().update_layout(width=400, height=300)
    second = write_notebook(tmp_path / "b.ipynb", [code_cell("#| label: fig-c\nfig.show()", [plotly_output(wide)])])
    opened = []
    original_open = kaleido.Kaleido.open

    async def counting_open(self: Any) -> None:
        opened.append(self)
        await original_open(self)

    monkeypatch.setattr(kaleido.Kaleido, "open", counting_open)

    result = export_figures([first, second], chromium=chromium, scale=2.0)

    assert len(opened) == 1
    assert (result.figures, result.exported, result.browser_launches) == (3, 3, 1)
    assert result.static and result.notebooks == [first, second]
    (png_a, meta_a), (png_b, _) = pngs(first)
    ((png_c, meta_c),) = pngs(second)
    # Default size for figures without one, the figure's own size otherwise; PNGs at 2x scale.
    assert png_size(png_a) == (2 * DEFAULT_WIDTH, 2 * DEFAULT_HEIGHT)
    assert meta_a == {"width": DEFAULT_WIDTH, "height": DEFAULT_HEIGHT}
    assert png_size(png_c) == (800, 600) and meta_c == {"width": 400, "height": 300}
    assert png_a != png_b
    # The interactive figure stays next to the PNG, for the HTML.
    nb = nbformat.read(first, as_version=4)
    assert nb.cells[0].outputs[0].data[PLOTLY_MIME]["data"][0]["y"] == [41, 33, 27, 18]


def test_without_chromium_nothing_is_written(project: Path, no_chromium: None) -> None:
    notebook = project.parent / "notebooks" / "trends.ipynb"
    before = notebook.read_bytes()
    result = export_figures([notebook])
    assert (result.figures, result.exported, result.browser_launches) == (2, 0, 0)
    assert not result.static and result.note == NO_CHROMIUM_ASKED_NOTE
    assert notebook.read_bytes() == before


def test_notebook_without_figures_starts_no_browser(project: Path) -> None:
    result = export_figures([project.parent / "notebooks" / "scorecard.ipynb"], chromium="/nonexistent/chromium")
    assert (result.figures, result.browser_launches) == (0, 0)


def test_error_output_names_notebook_cell_and_exception(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "broken.ipynb",
        [code_cell("#| label: fig-x\n1/0", [error_output("ZeroDivisionError", "division by zero")])],
    )
    with pytest.raises(ReportError) as err:
        export_figures([notebook], chromium="/nonexistent/chromium")
    assert str(err.value).startswith(f"{notebook}: cell 'fig-x' failed with ZeroDivisionError: division by zero")


def test_failing_figure_names_it_and_writes_nothing(tmp_path: Path, chromium: str) -> None:
    good = plotly_output(burndown())
    bad = plotly_output(burndown())
    bad["data"][PLOTLY_MIME]["data"] = "not a list of traces"
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        [code_cell("#| label: fig-good\nf()", [good]), code_cell("#| label: fig-bad\ng()", [bad])],
    )
    before = notebook.read_bytes()
    with pytest.raises(ReportError, match=r"nb\.ipynb: the figure of cell 'fig-bad' could not be exported"):
        export_figures([notebook], chromium=chromium)
    assert notebook.read_bytes() == before


def test_write_interactive_shares_one_plotlyjs(tmp_path: Path) -> None:
    figure = plotly_output(burndown())["data"][PLOTLY_MIME]
    first = write_interactive(figure, tmp_path / "figures" / "fig-a.html")
    write_interactive(figure, tmp_path / "figures" / "fig-b.html")
    html = first.read_text()
    assert 'src="plotly.min.js"' in html and '"y":[41,33,27,18]' in html
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["fig-a.html", "fig-b.html", "plotly.min.js"]


def test_exported_project_fixture_is_real(exported: Path) -> None:
    for png, meta in pngs(exported.parent / "notebooks" / "trends.ipynb"):
        assert png_size(png) == (2 * meta["width"], 2 * meta["height"])



def test_the_note_says_why_there_is_no_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.report._export import no_chromium_note

    monkeypatch.setenv("READINESS_NO_CHROMIUM", "1")
    assert no_chromium_note() == NO_CHROMIUM_ASKED_NOTE and "READINESS_NO_CHROMIUM=1 is set" in NO_CHROMIUM_ASKED_NOTE
    monkeypatch.setenv("READINESS_NO_CHROMIUM", "0")
    assert no_chromium_note() == NO_CHROMIUM_NOTE
