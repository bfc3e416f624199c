"""Recovery targets (RTO, RPO) a Markdown document declares, read with a Markdown parser (markdown-it-py).

Two shapes are read, as written in disaster-recovery plans:

- a table with an RTO and/or RPO column (``| Component | ... | RTO | RPO |``): one target per row, its
  subject the row's first cell (``PostgreSQL``, 30 min, 1 hour); a table of metrics whose first
  column names RTO/RPO (``| RTO | 4 hours |``) gives one target for the section;
- list items that open with the target (``- RTO: 4 hours``, ``- **RPO**: <1 hour``,
  ``- RTO (Recovery Time Objective): <4h``, ``- RTO <4h, RPO <1h``): the items of one list make one
  target, its subject the list item they are nested in, if any.

A target sits under planned work, not declared, when a heading above it is a schedule's item
("## Week 2-3: Backup & DR", "Phase 2", "Sprint 3") or the bold paragraph that leads its list says
so ("**Success Criteria**:", "**Deliverables**:", "**Tasks**:"): an item that sets a target
("- Set RTO <4h") or names one without a value ("- Unknown RTO/RPO") declares nothing. Code blocks
are examples or configuration, not prose, and are not read. A value that is not a duration
(``N/A``, ``TBD``) is no target.
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from pytimeparse.timeparse import timeparse as seconds_of

# What names each objective, in a column header or at the start of a list item.
_RTO = re.compile(r"\brto\b|\brecovery time objective\b", re.I)
_RPO = re.compile(r"\brpo\b|\brecovery point objective\b", re.I)
_LABEL = r"(?P<which>rto|rpo|recovery (?:time|point) objective)(?:\s*\([^)]*\))?(?:\s+targets?)?"
# "RTO: <4 hours", "RPO <= 15m", "RTO under 4h": the bound, a duration pytimeparse reads.
_TARGET = re.compile(_LABEL + r"\s*[:=]?\s*(?:<=?|≤|~|under|within|up to|max(?:imum)?|at most)?\s*"
                     r"(?P<value>\d+(?:\.\d+)?\s*[a-zµ]+)", re.I)
_OPENS = re.compile(r"^\W*" + _LABEL, re.I)
# A heading that is a schedule's item plans work (as readiness.collect.facts._SCHEDULE_ITEM says).
_SCHEDULE = re.compile(r"^\W*(?:week|phase|day|sprint|month|milestone|step)s?\s*\d", re.I)
_PLANNED_LEAD = re.compile(r"^\W*(?:success|acceptance|exit) criteria\b|^\W*(?:deliverables?|objectives?|goals?|"
                           r"tasks?|to ?do|action items?|next steps?|required actions?)\W*$", re.I)
_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.?\s+")


def hours(text: str) -> float | None:
    """A duration as written in a document (``30 min``, ``1 hour``, ``4 hours``, ``24h``, ``15m``,
    ``<4h``) in hours, read by pytimeparse after a leading bound (``<``, ``≤``, ``~``); None when it
    is not one (``N/A``, ``TBD``, ``continuous``)."""
    value = re.sub(r"^\s*(?:<=?|≤|~|under|within|up to|at most)\s*", "", text.strip(), flags=re.I)
    secs = seconds_of(value) if value else None
    return None if secs is None else round(float(secs) / 3600, 6)


def _inline_text(tok: Any) -> str:
    return "".join(c.content if c.type in ("text", "code_inline") else " " if c.type == "softbreak" else ""
                   for c in tok.children or []).strip()


def _kind(label: str) -> str | None:
    return "rto" if _RTO.search(label) else "rpo" if _RPO.search(label) else None


def _table(rows: list[tuple[int, list[str]]], head: list[str]) -> list[dict[str, Any]]:
    """Targets of one table: ``rows`` are (1-based line, cells) of its body."""
    cols = {k: i for i, h in enumerate(head) if (k := _kind(h)) and k not in [_kind(x) for x in head[:i]]}
    out: list[dict[str, Any]] = []
    if cols and 0 not in cols.values():
        for line, cells in rows:
            got = {k: hours(cells[i]) if i < len(cells) else None for k, i in cols.items()}
            if any(v is not None for v in got.values()):
                out.append({"line": line, "subject": cells[0] or None,
                            "rto_hours": got.get("rto"), "rpo_hours": got.get("rpo")})
        return out
    # A table of metrics: "| RTO | 4 hours |" rows make one target for the section.
    found: dict[str, Any] = {"line": 0, "subject": None, "rto_hours": None, "rpo_hours": None}
    for line, cells in rows:
        if len(cells) > 1 and _OPENS.match(cells[0]) and (k := _kind(cells[0])) and (h := hours(cells[1])) is not None:
            found[f"{k}_hours"] = found[f"{k}_hours"] if found[f"{k}_hours"] is not None else h
            found["line"] = found["line"] or line
    return [found] if found["line"] else []


def recovery_targets(text: str) -> list[dict[str, Any]]:
    """The recovery targets the Markdown ``text`` declares (see the module docstring): one dict per target,
    ``{"line": 1-based line of its table row or first list item, "section": the heading it sits under as
    written ("5.1 Backup Strategy") or None, "subject": str | None, "rto_hours": float | None,
    "rpo_hours": float | None, "planned": bool}``, at least one of the two hours set. Never raises on
    Markdown (every text is Markdown)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list[dict[str, Any]] = []
    heads: list[tuple[int, str]] = []
    lead = ""  # the text of the last paragraph outside lists: a list's bold lead ("Deliverables:")
    lists: list[dict[str, Any]] = []  # open lists: their target so far, and the item they are nested in
    items: list[str] = []  # open list items: their first paragraph's text
    table: list[tuple[int, list[str]]] = []
    head: list[str] = []
    for i, tok in enumerate(tokens):
        planned = any(_SCHEDULE.match(_NUMBERED.sub("", h)) for _, h in heads)
        if tok.type == "heading_open":
            level = int(tok.tag[1:])
            while heads and heads[-1][0] >= level:
                heads.pop()
            heads.append((level, _inline_text(tokens[i + 1])))
            lead = ""
        elif tok.type == "paragraph_open" and not items:
            lead = _inline_text(tokens[i + 1])
        elif tok.type == "table_open":
            table, head = [], []
        elif tok.type == "tr_open":
            table.append((int(tok.map[0]) + 1 if tok.map else 0, []))
        elif tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            table[-1][1].append(_inline_text(tok))
        elif tok.type == "thead_close":
            head = table.pop()[1] if table else []
        elif tok.type == "table_close":
            out += [{**t, "section": heads[-1][1] if heads else None, "planned": planned} for t in _table(table, head)]
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            lists.append({"line": 0, "subject": items[-1] if items else None, "rto_hours": None,
                          "rpo_hours": None, "planned": planned or bool(_PLANNED_LEAD.match(lead.rstrip(":")))})
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            found = lists.pop()
            lead = lead if lists else ""
            if found["line"]:
                out.append({**found, "section": heads[-1][1] if heads else None})
        elif tok.type == "list_item_open":
            items.append("")
        elif tok.type == "list_item_close":
            items.pop()
        elif tok.type == "inline" and items and tokens[i - 1].type == "paragraph_open" and not items[-1]:
            said = _inline_text(tok)
            items[-1] = said.rstrip(":").strip()
            if lists and _OPENS.match(said):
                for m in _TARGET.finditer(said):
                    k, h = _kind(m["which"]), hours(m["value"])
                    if k and h is not None and lists[-1][f"{k}_hours"] is None:
                        lists[-1][f"{k}_hours"] = h
                        lists[-1]["line"] = lists[-1]["line"] or (int(tok.map[0]) + 1 if tok.map else 0)
    return out
