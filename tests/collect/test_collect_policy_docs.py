"""The README states the sanitizer policy in the same words as docs/collect.md, and both match policy.yaml."""

from __future__ import annotations

from pathlib import Path

from readiness.collect import policy

ROOT = Path(__file__).resolve().parents[2]
START = "`readiness collect` reads the live state of your clusters"
END = "the snapshot then records the policy version with a digest of your additions.\n"


def _block(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(START)
    # docs/ links one level up ("](../readiness/..."); the README links from the root: same words.
    return text[start:text.index(END, start) + len(END)].replace("](../", "](")


def test_readme_and_docs_state_the_policy_word_for_word() -> None:
    assert _block(ROOT / "README.md") == _block(ROOT / "docs" / "collect.md")


def test_the_stated_policy_names_what_policy_yaml_holds() -> None:
    block = _block(ROOT / "docs" / "collect.md")
    pol = policy.packaged()
    for key in ("runbook_url", "linkerd.io/inject"):
        assert key in block and pol.keeps_annotation(key)
    assert "readiness.dev/*" in block and pol.keeps_annotation("readiness.dev/offsite")
    assert "readiness scrub --data DIR" in block and "readiness.sanitizer" in block
    assert policy.METADATA_KEY.decode() == "readiness.sanitizer"
