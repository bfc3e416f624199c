"""The claims of an earlier (e.g. hand-written) assessment, read against the evidence.

An earlier assessment in Markdown states what is there and what is not: status bullets
(``- ❌ **AlertManager**: No alerting system``) and blocker headings
(``### Blocker #2: No Automated Backups ❌``). ``parse`` reads them with a Markdown parser
(markdown-it-py), each with its line and the heading it sits under; ``judge`` decides each one from
the findings of the checks that the claims policy (``readiness/report/claims.yaml``, or a file of the same
shape) maps its subject to:

- *contradicted*: it says absent (``❌``, "No X") and a deciding check passes somewhere; or it says
  present (``✅``/``⚠️``) and every deciding check fails where it applies, in a cluster snapshot or,
  for what lives in the repository itself (``repository_decides``), in a repository snapshot;
- *supported*: the evidence agrees;
- *undecided*: no check maps to it, its checks are unknown, partial or not applicable, it names a
  shortcoming rather than a presence ("Insecure Secret Management"), or it says a component is
  present that the repository does not declare (a cluster may run it, installed by hand). An undecided
  presence claim lists beside its partial or unknown checks those that fail ("ESO declared on studio
  without a secret store", and "no ExternalSecrets declared" on every cluster).

The policy refines these (``_refine``): a claim's text naming another entry's terms ("service mesh with
mTLS") is decided by that entry's checks too, and is supported only when both hold; a presence that
holds on some clusters only says on which (and which not); an entry's ``needs`` failing on every
cluster contradicts a presence ("ESO operational" with no secret store declared anywhere); an entry's
``confirmed_by`` not passing keeps a declared thing from contradicting an absence (a PagerDuty receiver
whose key lives outside the repository and whose contract is not attested: undecided, saying what is
declared and what is not verifiable); an entry's ``shown_by`` passing or partial contradicts an absence
(CI that builds and tests only some paths still contradicts "No automated build/test/deploy").

Every decision carries its evidence: the check, the clusters, the check's own reason (which says
``declared in`` for a repository and what runs for a cluster) and the files the objects were read
from (annotation ``readiness.dev/source-path``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from markdown_it import MarkdownIt

from readiness.report import tables
from readiness.store.configfile import SourceFile, read_text

POLICY = Path(__file__).with_name("claims.yaml")
POLARITIES = ("present", "partial", "absent", "gap")
CONTRADICTED, SUPPORTED, UNDECIDED = "contradicted", "supported", "undecided"
SOURCE_PATH = "readiness.dev/source-path"
_PLAIN_MARK = {"present": tables.OK, "partial": tables.WARN, "absent": tables.BAD, "gap": tables.WARN}
_OBJECT_REF = re.compile(r"^([A-Z][A-Za-z0-9]+)[ /](?:([^/\s]+)/)?([^/\s]+)$")
FILES_SHOWN = 8
WHY_SHOWN = 3  # evidence lines in a table's Why column

CLAIMS = pl.Schema({"line": pl.Int64(), "section": pl.String(), "kind": pl.String(), "mark": pl.String(),
                    "polarity": pl.String(), "subject": pl.String(), "claim": pl.String()})
JUDGED = pl.Schema({**CLAIMS, "checks": pl.List(pl.String()), "status": pl.String(), "verdict": pl.String(),
                    "reason": pl.String(), "evidence": pl.List(pl.String())})


@dataclass(frozen=True)
class Entry:
    """One ``claims:`` item of ``claims.yaml``: the terms a claim's subject may use, the checks that decide
    it, and whether a repository snapshot decides it too (``repository_decides``)."""

    terms: tuple[str, ...]
    checks: tuple[str, ...]
    repository_decides: bool
    needs: tuple[str, ...] = ()
    confirmed_by: tuple[str, ...] = ()
    shown_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    """``claims.yaml``: status marks, the prefixes that say absent, claim headings, term -> checks."""

    marks: dict[str, str]
    absent_prefixes: tuple[str, ...]
    heading_claims: tuple[re.Pattern[str], ...]
    entries: tuple[Entry, ...]
    source: str

    def match(self, subject: str) -> tuple[list[str], set[str]]:
        """(checks, those a repository decides) for ``subject``: the entries of the longest
        non-overlapping terms found in it, case-insensitively and as whole words."""
        checks: list[str] = []
        decides: set[str] = set()
        for entry in self.entries_in(subject):
            checks += [c for c in entry.checks if c not in checks]
            decides |= set(entry.checks) if entry.repository_decides else set()
        return checks, decides

    def entries_in(self, subject: str) -> list[Entry]:
        """The entries of the longest non-overlapping terms found in ``subject`` (case-insensitively, as
        whole words), in the order they appear."""
        text = subject.lower()
        found = []
        for entry in self.entries:
            for term in entry.terms:
                for m in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", text):
                    found.append((m.start(), m.end(), entry))
        taken: list[tuple[int, int, Entry]] = []
        for start, end, entry in sorted(found, key=lambda f: (-(f[1] - f[0]), f[0])):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, entry))
        return list(dict.fromkeys(entry for _, _, entry in sorted(taken, key=lambda t: t[0])))


def _strings(src: SourceFile, raw: Any, at: tuple[str | int, ...]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) and x.strip() for x in raw):
        raise src.error(at, f"'{at[-1]}' must be a non-empty list of strings")
    return tuple(x.strip().lower() if at[-1] == "terms" else x for x in raw)


def load_policy(path: Path | None = None) -> Policy:
    """The claims policy at ``path`` (default: the packaged ``claims.yaml``).

    Raises ``ConfigError`` naming the file and line: a mark with an unknown polarity, an entry
    without terms or checks, an unknown key, a heading pattern that is not a regular expression."""
    src = SourceFile(Path(path or POLICY), "claims policy")
    doc = src.doc
    if not isinstance(doc, dict) or set(doc) - {"marks", "absent_prefixes", "heading_claims", "claims"}:
        raise src.error((), "expected a mapping of marks, absent_prefixes, heading_claims, claims")
    marks = doc.get("marks") or {}
    if not isinstance(marks, dict) or any(v not in POLARITIES[:3] for v in marks.values()):
        raise src.error(("marks",), f"marks map a status mark to one of {', '.join(POLARITIES[:3])}")
    patterns = []
    for i, raw in enumerate(_strings(src, doc.get("heading_claims") or ["^$"], ("heading_claims",))):
        try:
            patterns.append(re.compile(raw, re.IGNORECASE))
        except re.error as err:
            raise src.error(("heading_claims", i), f"not a regular expression: {err}") from None
    entries = []
    for i, raw in enumerate(doc.get("claims") or []):
        lists = ("needs", "confirmed_by", "shown_by")
        if not isinstance(raw, dict) or set(raw) - {"terms", "checks", "repository_decides", *lists}:
            raise src.error(("claims", i), f"claims item {i + 1}: keys are terms, checks, repository_decides, "
                                           "needs, confirmed_by, shown_by")
        extra = {k: _strings(src, raw[k], ("claims", i, k)) for k in lists if k in raw}
        entries.append(Entry(_strings(src, raw.get("terms"), ("claims", i, "terms")),
                             _strings(src, raw.get("checks"), ("claims", i, "checks")),
                             bool(raw.get("repository_decides", False)), **extra))
    return Policy({str(k): str(v) for k, v in marks.items()},
                  _strings(src, doc.get("absent_prefixes") or ["no "], ("absent_prefixes",)),
                  tuple(patterns), tuple(entries), src.path)


def _inline_text(children: Iterable[Any]) -> str:
    return "".join(c.content if c.type in ("text", "code_inline") else " " if c.type == "softbreak" else ""
                   for c in children)


def _mark(text: str, marks: dict[str, str], at_end: bool = False) -> tuple[str, str]:
    """(mark, rest) when ``text`` opens (or with ``at_end``, ends) with a status mark; ("", text) else."""
    stripped = text.strip()
    for mark in sorted(marks, key=len, reverse=True):
        if at_end and stripped.endswith(mark):
            return mark, stripped[: -len(mark)].strip()
        if not at_end and stripped.startswith(mark):
            return mark, stripped[len(mark):].strip()
    return "", stripped


def _line(tok: Any) -> int:
    """The 1-based line a block token opens on (markdown-it maps block tokens to 0-based lines)."""
    return int(tok.map[0]) + 1 if tok.map else 0


def _polarity(mark: str, subject: str, policy: Policy, heading: bool) -> tuple[str, str]:
    """(polarity, subject without an absent prefix)."""
    low = subject.lower()
    for prefix in policy.absent_prefixes:
        if low.startswith(prefix):
            return "absent", subject[len(prefix):].strip()
    said = policy.marks.get(mark, "gap")
    # A blocker heading marked as a gap without "No ..." names a shortcoming, not an absence.
    return ("gap" if heading and said != "present" else said), subject


def parse(path: Path, policy: Policy | None = None) -> pl.DataFrame:
    """The claims of the Markdown assessment at ``path``: ``CLAIMS`` columns, one row per claim.

    - ``line``: 1-based line in the file; ``section``: the innermost heading above the claim;
    - ``kind``: ``bullet`` (a list item opening with a status mark and a bold subject; the text of
      unmarked items nested under it joins its claim) or ``heading`` (a heading matching one of the
      policy's ``heading_claims``, e.g. "Blocker #2: No Automated Backups ❌");
    - ``mark``: the status mark as written; ``polarity``: ``present`` / ``partial`` / ``absent`` (the
      mark's, or ``absent`` when the subject opens with "No ...") or ``gap`` (a blocker heading that
      names a shortcoming);
    - ``subject``: the bold text or the heading after its blocker prefix (without "No "); ``claim``:
      the text after the subject (for a heading, the heading).

    Bullets without a bold subject (checklists, targets) and table cells are not claims.
    Raises ``ConfigError`` when the file cannot be read as UTF-8 text."""
    policy = policy or load_policy()
    tokens = MarkdownIt("commonmark").enable("table").parse(read_text(Path(path), "earlier assessment"))
    rows: list[dict[str, Any]] = []
    headings: list[tuple[int, str]] = []  # the open headings: (level, text)
    item_depth: list[int | None] = []  # per open list item: the index of its claim row, if any
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            text = _inline_text(tokens[i + 1].children or [])
            level = int(tok.tag[1:])
            while headings and headings[-1][0] >= level:
                headings.pop()
            section = headings[-1][1] if headings else ""
            mark, rest = _mark(text, policy.marks, at_end=True)
            for pattern in policy.heading_claims:
                if mark and (m := pattern.match(rest)):
                    polarity, subject = _polarity(mark, rest[m.end():].strip(), policy, heading=True)
                    rows.append({"line": _line(tok), "section": section, "kind": "heading", "mark": mark,
                                 "polarity": polarity, "subject": subject, "claim": rest})
                    break
            headings.append((level, text.strip()))
        elif tok.type == "list_item_open":
            item_depth.append(None)
        elif tok.type == "list_item_close":
            item_depth.pop()
        elif tok.type == "inline" and item_depth and tokens[i - 1].type == "paragraph_open":
            kids = tok.children or []
            lead = _inline_text(kids[:1]) if kids else ""
            mark, rest = _mark(lead, policy.marks)
            strong = [j for j, c in enumerate(kids) if c.type == "strong_open"]
            if mark and not rest and strong and strong[0] == 1:
                close = next(j for j, c in enumerate(kids) if c.type == "strong_close")
                bold = _inline_text(kids[2:close]).strip()
                polarity, subject = _polarity(mark, bold, policy, heading=False)
                text = _inline_text(kids[close + 1:]).strip().lstrip(":").strip()
                item_depth[-1] = len(rows)
                rows.append({"line": _line(tok), "section": headings[-1][1] if headings else "", "kind": "bullet",
                             "mark": mark, "polarity": polarity, "subject": subject, "claim": text})
            elif not mark and len(item_depth) > 1 and (owner := next(
                    (d for d in reversed(item_depth[:-1]) if d is not None), None)) is not None:
                sep = " " if not rows[owner]["claim"] or rows[owner]["claim"].endswith(":") else "; "
                rows[owner]["claim"] = f"{rows[owner]['claim']}{sep}{_inline_text(kids).strip()}"
    return pl.DataFrame(rows, schema=CLAIMS)


def _evidence_lines(rows: list[dict[str, Any]], files_of: Callable[[dict[str, Any]], list[str]]) -> list[str]:
    """One line per (check, reason): the clusters it holds on, the reason, and the files read."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["check_id"], r["reason"]), []).append(r)
    out = []
    for (check, reason), rs in groups.items():
        # the files the reason does not already name (e.g. its "and 5 more", or an object's file)
        files = [f for f in dict.fromkeys(f for r in rs for f in files_of(r)) if f not in reason]
        more = f" and {len(files) - FILES_SHOWN} more" if len(files) > FILES_SHOWN else ""
        where = f" (files: {', '.join(files[:FILES_SHOWN])}{more})" if files else ""
        clusters = ", ".join(sorted({r["cluster"] for r in rs}))
        out.append(f"`{check}` on {clusters}: {rs[0]['status']}: {reason}{where}")
    return out


def _status(statuses: list[str]) -> str:
    seen = sorted(set(statuses))
    return seen[0] if len(seen) == 1 else "mixed" if seen else "not_applicable"


def _decide(polarity: str, subject: str, rows: list[dict[str, Any]], decides: set[str],
            files_of: Callable[[dict[str, Any]], list[str]]) -> tuple[str, str, list[dict[str, Any]]]:
    """(verdict, reason, the rows that decided it) for one mapped claim; ``rows`` are its findings
    with ``source`` (``repo`` or a live snapshot's) and without the not-applicable ones."""
    passing = [r for r in rows if r["status"] == "pass"]
    failing = [r for r in rows if r["status"] == "fail"]
    rest = [r for r in rows if r["status"] not in ("pass", "fail")]
    if polarity == "absent":
        if passing:
            names = ", ".join(f"`{c}`" for c in dict.fromkeys(r["check_id"] for r in passing))
            return CONTRADICTED, f"it says absent, but {names} pass{'es' if ',' not in names else ''}", passing
        if not rest:
            return SUPPORTED, "it says absent and no deciding check passes anywhere", failing
        return UNDECIDED, "no deciding check passes, but some are " + "/".join(
            sorted({r["status"] for r in rest})), rest
    holds = passing + ([r for r in rest if r["status"] == "partial"] if polarity == "partial" else [])
    if holds:
        return SUPPORTED, "it says present and a deciding check holds", holds
    if rest:
        return UNDECIDED, "no deciding check fails everywhere: some are " + "/".join(
            sorted({r["status"] for r in rest})), rest
    undeclared = [r for r in failing if r["source"] == "repo" and r["check_id"] not in decides]
    if undeclared:
        return (UNDECIDED, f"the repository does not declare {subject}; whether a cluster runs it (installed "
                "by hand) is observed only in a cluster snapshot", undeclared)
    return CONTRADICTED, "it says present; every deciding check fails where it applies", failing


def _applicable(by_check: dict[str, list[dict[str, Any]]], checks: Iterable[str]) -> list[dict[str, Any]]:
    return [r for c in dict.fromkeys(checks) for r in by_check.get(c, []) if r["status"] != "not_applicable"]


def _refine(claim: dict[str, Any], verdict: str, reason: str, deciding: list[dict[str, Any]],
            applicable: list[dict[str, Any]], entries: list[Entry], more: list[Entry],
            by_check: dict[str, list[dict[str, Any]]], decides: set[str],
            files_of: Callable[[dict[str, Any]], list[str]]) -> tuple[str, str, list[dict[str, Any]], list[str]]:
    """The policy's further rules over ``_decide``'s verdict: (verdict, reason, deciding rows, more evidence lines).

    - ``confirmed_by``: a passing check contradicts an absence only when these pass too (a receiver is
      declared, but whether it pages needs its key, kept outside the repository, and an attested contract);
    - ``shown_by``: a pass or a partial of these shows the thing is there, at least in part, and so
      contradicts a claim that it is absent (CI that builds and tests some paths: "No automated build/test");
    - ``needs``: a presence is contradicted when what it needs to operate fails on every cluster (an
      operator without any secret store declared is not operational);
    - more properties the claim's text names ("mesh with mTLS"): each is decided too, and all must hold;
    - scope: a presence that holds on some clusters only says on which, and on which not."""
    polarity = claim["polarity"]
    said: list[str] = []
    shown = [r for r in _applicable(by_check, [c for e in entries for c in e.shown_by])
             if r["status"] in ("pass", "partial")] if verdict != CONTRADICTED and polarity == "absent" else []
    if shown:
        names = ", ".join(f"`{c}`" for c in dict.fromkeys(r["check_id"] for r in shown))
        return (CONTRADICTED, f"it says absent, but {names} show{'s' if ',' not in names else ''} it is there, "
                "at least in part", shown, [])
    if verdict == CONTRADICTED and polarity == "absent":
        unconfirmed = []
        for e in entries:
            confirm = _applicable(by_check, e.confirmed_by)
            if confirm and any(r["status"] != "pass" for r in confirm):
                unconfirmed.append((e, confirm))
        passing = {r["check_id"] for r in deciding}
        if unconfirmed and passing <= {c for e, _ in unconfirmed for c in e.checks}:
            confirm = [r for _, rs in unconfirmed for r in rs if r["status"] != "pass"]
            names = ", ".join(f"`{c}`" for c in dict.fromkeys(r["check_id"] for r in confirm))
            said = [f"(declared) {line}" for line in _evidence_lines(deciding, files_of)]
            return (UNDECIDED, f"it says absent; the repository declares it, but whether it works is not verifiable "
                    f"here: {names} do{'es' if ',' not in names else ''} not pass", confirm, said)
    if polarity not in ("present", "partial") or verdict == CONTRADICTED:
        return verdict, reason, deciding, said
    needed = _applicable(by_check, [c for e in entries for c in e.needs])
    if needed and all(r["status"] == "fail" for r in needed):
        names = ", ".join(f"`{c}`" for c in dict.fromkeys(r["check_id"] for r in needed))
        said = [f"(declared) {line}" for line in _evidence_lines([r for r in applicable if r["status"] != "fail"],
                                                                   files_of)]
        return (CONTRADICTED, f"it says present, but what it needs to operate fails on every cluster: {names}",
                needed, said)
    for e in more:
        rows = _applicable(by_check, e.checks)
        if not rows:
            continue
        sub, sub_reason, sub_rows = _decide(polarity, e.terms[0], rows, decides, files_of)
        if sub != SUPPORTED:
            said = [f"(holds) {line}" for line in _evidence_lines(deciding, files_of)] if verdict == SUPPORTED else []
            text = (claim["claim"] or "").lower()
            term = next((t for t in e.terms if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text)), e.terms[0])
            what = f"'{term}'"
            if verdict == SUPPORTED:
                return sub, f"it also says {what}, which decides it: {sub_reason}", sub_rows, said
            return verdict, f"{reason}; and {what}: {sub_reason}", deciding, said
    if verdict == SUPPORTED and polarity == "present":
        held = sorted({r["cluster"] for r in deciding})
        missing = sorted({r["cluster"] for r in applicable} - set(held))
        if missing:
            said = [f"(does not hold) {line}" for line in _evidence_lines(
                [r for r in applicable if r["cluster"] in missing], files_of)]
            return (SUPPORTED, f"it says present; it holds on {', '.join(held)} only, not on {', '.join(missing)}",
                    deciding, said)
    return verdict, reason, deciding, said


def judge(claims: pl.DataFrame, findings: pl.DataFrame, policy: Policy | None = None,
          files_of: Callable[[dict[str, Any]], list[str]] | None = None) -> pl.DataFrame:
    """``claims`` (``parse``) decided from ``findings``: ``JUDGED`` columns, one row per claim.

    ``findings`` has one row per (cluster, check) (``schema.FINDINGS`` columns ``cluster``,
    ``check_id``, ``status``, ``reason``, ``evidence``, plus ``source``: ``repo`` for a repository
    snapshot). Added columns: ``checks`` (the policy's checks for the subject), ``status`` (theirs
    over the clusters they apply to: pass / fail / partial / unknown / waived, ``mixed``, or
    ``not_applicable``; null when no check maps), ``verdict`` (contradicted / supported / undecided),
    ``reason`` (why, one line) and ``evidence`` (one line per check and reason: clusters, the check's
    reason, the files read). ``files_of(finding)`` names a finding's files (default: none)."""
    policy = policy or load_policy()
    files_of = files_of or (lambda r: [])
    by_check: dict[str, list[dict[str, Any]]] = {}
    for r in findings.iter_rows(named=True):
        by_check.setdefault(r["check_id"], []).append(r)
    out = []
    for claim in claims.iter_rows(named=True):
        checks, decides = policy.match(claim["subject"])
        entries = policy.entries_in(claim["subject"])
        # what the claim's text says beside its subject ("service mesh with mTLS"): each more property must hold too
        more = [e for e in policy.entries_in(claim["claim"] or "") if not set(e.checks) <= set(checks)] if (
            checks and claim["polarity"] in ("present", "partial")) else []
        rows = [r for c in checks for r in by_check.get(c, [])]
        applicable = [r for r in rows if r["status"] != "not_applicable"]
        status = _status([r["status"] for r in applicable]) if checks else None
        deciding: list[dict[str, Any]] = []
        said: list[str] = []
        if not checks:
            verdict, reason = UNDECIDED, f"no check of the claims policy matches '{claim['subject']}'"
        elif claim["polarity"] == "gap":
            verdict, reason = UNDECIDED, (f"it names a shortcoming ('{claim['claim']}'), not a presence or an "
                                          "absence the checks can decide")
        elif not rows:
            verdict, reason = UNDECIDED, f"none of {', '.join(checks)} was evaluated (not in the rubric)"
        elif not applicable:
            verdict, reason = UNDECIDED, "not applicable: " + "; ".join(dict.fromkeys(r["reason"] for r in rows))
        else:
            verdict, reason, deciding = _decide(claim["polarity"], claim["subject"], applicable, decides, files_of)
            verdict, reason, deciding, said = _refine(claim, verdict, reason, deciding, applicable, entries, more,
                                                      by_check, decides, files_of)
            consulted = [c for e in more for c in e.checks] + [c for e in entries
                                                               for c in (*e.needs, *e.confirmed_by, *e.shown_by)]
            checks = checks + [c for c in dict.fromkeys(consulted) if c not in checks]
        evidence = _evidence_lines(deciding, files_of) + said
        if verdict == CONTRADICTED and claim["polarity"] == "absent":
            others = [r for r in applicable if r["check_id"] not in {d["check_id"] for d in deciding}]
            evidence += [f"(does not hold) {line}" for line in _evidence_lines(others, files_of)]
        elif verdict == UNDECIDED and claim["polarity"] in ("present", "partial") and deciding:
            # what is only partly there or unknown decides nothing; what fails beside it is said too
            others = [r for r in applicable if r["status"] == "fail" and r not in deciding]
            evidence += [f"(does not hold) {line}" for line in _evidence_lines(others, files_of)]
        out.append({**claim, "checks": checks, "status": status, "verdict": verdict, "reason": reason,
                    "evidence": evidence})
    return pl.DataFrame(out, schema=JUDGED)


def source_files(data_dir: Path, findings: pl.DataFrame) -> Callable[[dict[str, Any]], list[str]]:
    """``files_of`` for ``judge``: the file each object named in a finding's evidence was read from
    (its ``readiness.dev/source-path``), and evidence that already names a file as it is."""
    from readiness import store

    clusters = sorted(set(findings["cluster"].to_list()))
    ids = findings["snapshot_id"].unique().to_list()
    objs = (store.scan(data_dir, "objects", clusters).filter(pl.col("snapshot_id").is_in(ids))
            .select("snapshot_id", "kind", "namespace", "name", "annotations").collect()) if clusters else None
    where: dict[tuple[str, str, str, str], str] = {}
    for o in objs.iter_rows(named=True) if objs is not None else ():
        path = json.loads(o["annotations"] or "{}").get(SOURCE_PATH)
        if path:
            where[(o["snapshot_id"], o["kind"], o["namespace"] or "", o["name"])] = path

    def files_of(finding: dict[str, Any]) -> list[str]:
        out = []
        for item in finding.get("evidence") or []:
            m = _OBJECT_REF.match(item)
            if m:
                path = where.get((finding["snapshot_id"], m[1], m[2] or "", m[3]))
                if path:
                    out.append(path)
            elif "/" in item or "." in item:
                out.append(item)
        return out

    return files_of


def read_against(path: Path, assessment: Any, policy: Policy | None = None) -> pl.DataFrame:
    """The claims of the assessment at ``path`` judged against ``assessment``'s findings (each
    cluster's snapshot as of its day); ``JUDGED`` columns, one row per claim."""
    sources = assessment.snapshots.select("snapshot_id", "source").unique("snapshot_id")
    findings = assessment.findings.join(sources, on="snapshot_id", how="left")
    return judge(parse(path, policy), findings, policy, source_files(assessment.data_dir, findings))


def _said(r: dict[str, Any]) -> str:
    claim = f": {r['claim']}" if r["claim"] and r["kind"] == "bullet" else ""
    return f"{_PLAIN_MARK[r['polarity']]} **{r['subject'] if r['kind'] == 'bullet' else r['claim']}**{claim}"


def section(judged: pl.DataFrame, reference: Any, as_of: Any, repository: bool) -> str:
    """The report's section "What the earlier assessment says that the evidence contradicts":
    each contradicted claim with its evidence, then the supported and undecided ones as tables.
    ``reference`` is ``render_context.Reference``; ``repository``: the evidence is repository
    snapshots (declared state), not clusters."""
    counts = {v: judged.filter(pl.col("verdict") == v).height for v in (CONTRADICTED, SUPPORTED, UNDECIDED)}
    when = f" of {reference.day}" if reference.day else ""
    what = ("repository snapshots: what the repository declares, not what runs" if repository
            else "cluster snapshots")
    out = ["## What the Earlier Assessment Says That the Evidence Contradicts\n",
           f"{reference.title}{when} (`{Path(reference.path).name}`) makes {judged.height} claims this report "
           f"reads against its evidence (status bullets with a bold subject, and blocker headings). As of "
           f"{as_of}, the evidence ({what}) **contradicts {counts[CONTRADICTED]}**, supports "
           f"{counts[SUPPORTED]}, and does not decide {counts[UNDECIDED]} (listed below with why). The checks "
           f"that decide each claim come from the claims policy (`readiness/report/claims.yaml`).\n"]
    contradicted = judged.filter(pl.col("verdict") == CONTRADICTED)
    for n, r in enumerate(contradicted.iter_rows(named=True), start=1):
        out.append(f"{n}. {_said(r)} (line {r['line']}, under *{r['section']}*): contradicted, {r['reason']}.\n")
        out += [f"    - {line}" for line in r["evidence"]]
        out.append("")
    if not contradicted.height:
        out.append("The evidence contradicts none of its claims.\n")
    for verdict, head in ((SUPPORTED, "Claims the evidence supports"), (UNDECIDED, "Claims not checked")):
        part = judged.filter(pl.col("verdict") == verdict)
        if part.height:
            rows = [{"Line": r["line"], "Section": r["section"], "Claim": _said(r),
                     "Checks": ", ".join(f"`{c}`" for c in r["checks"]) or "-",
                     "Why": r["reason"] + (f": {'; '.join(r['evidence'][:WHY_SHOWN])}" if r["evidence"] else "")
                     + (f"; and {len(r['evidence']) - WHY_SHOWN} more" if len(r["evidence"]) > WHY_SHOWN else "")}
                    for r in part.iter_rows(named=True)]
            out += [f"### {head}\n", tables.markdown(rows)]
    return "\n".join(out) + "\n"


def to_dict(judged: pl.DataFrame) -> dict[str, Any]:
    """The JSON shape kept in report.json: counts per verdict and every claim."""
    return {"counts": {v: judged.filter(pl.col("verdict") == v).height for v in (CONTRADICTED, SUPPORTED, UNDECIDED)},
            "claims": judged.to_dicts()}


def report_section(assessment: Any, context: Any) -> str:
    """The section for the report of ``assessment`` when ``context`` (``render_context.ReportContext``)
    names an earlier assessment's file (``reference.path``); "" otherwise."""
    ref = getattr(context, "reference", None)
    if ref is None or ref.path is None:
        return ""
    used = assessment.snapshots.filter(pl.col("snapshot_id").is_in(assessment.findings["snapshot_id"].unique()))
    repository = used.height > 0 and set(used["source"].to_list()) == {"repo"}
    return section(read_against(ref.path, assessment), ref, assessment.as_of, repository)
