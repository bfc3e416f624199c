"""One strict YAML reader (``store.configfile``) for every input file: the sanitizer policy, check
fixtures, report front matter and cell options name the file and the file's line, and a duplicated
key is an error in each."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from readiness.assess import testing
from readiness.collect import policy
from readiness.errors import ConfigError, ReportError
from readiness.report._notebook import cell_options
from readiness.report._source import read_source
from readiness.store import configfile


def test_a_part_of_a_file_is_reported_at_the_files_line() -> None:
    with pytest.raises(ConfigError) as err:
        configfile.parse("title: a\ntitle: b\n", "doc.qmd", first_line=2)
    assert (err.value.path, err.value.line) == ("doc.qmd", 3)
    with pytest.raises(ConfigError, match=r"^doc\.qmd:6: not valid YAML"):
        configfile.parse("a: 1\nb: [2\nc: 3\n", "doc.qmd", first_line=4)


def test_the_policy_file_is_read_strictly(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nkinds: {}\nversion: 2\n")
    with pytest.raises(ConfigError) as err:
        policy._read(path)
    assert (err.value.path, err.value.line) == (str(path), 3)
    assert "'version' appears twice" in err.value.problem


def test_a_fixture_with_a_duplicated_key_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "infra_nodes_ready" / "pass_one.yaml"
    path.parent.mkdir()
    path.write_text("objects: []\nexpect: {status: pass}\nobjects: []\n")
    with pytest.raises(testing.FixtureError, match=rf"^{path}:3: 'objects' appears twice"):
        testing.load(path)


def test_front_matter_errors_name_the_qmd_line(tmp_path: Path) -> None:
    qmd = tmp_path / "doc.qmd"
    qmd.write_text("---\ntitle: A\nsubtitle: [B\n---\n\nBody\n")
    with pytest.raises(ConfigError, match=rf"^{qmd}:3: not valid YAML"):
        read_source(qmd)


def test_cell_options_with_a_duplicated_key_are_a_report_error() -> None:
    cell = nbformat.v4.new_code_cell("#| label: fig-a\n#| label: fig-b\nprint(1)\n")
    with pytest.raises(ReportError, match="'label' appears twice"):
        cell_options(cell)
    assert cell_options(nbformat.v4.new_code_cell("#| label: fig-a\nprint(1)\n")) == {"label": "fig-a"}
