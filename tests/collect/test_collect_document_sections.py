"""A document's sections can document the topology, the network, on-call, escalation, troubleshooting and the
subjects its headings treat (disaster recovery, incident response), whatever the document is."""

from __future__ import annotations

from readiness.collect.facts import covers, document

README = """# Homelab

Some words.

## Install
## Usage
## Contributing
## 🖥️ Cluster Topology

| cluster | role |

```markdown
## Network design (inside a code fence: not a heading)
```

### CIDR allocation
"""


def test_sections_name_the_topics_they_document() -> None:
    assert covers(README) == ["topology", "network"]
    assert covers("# Network\n\n## Install\n## Usage\n") == []  # the title is the type's business, not a section's
    _, _, spec = document("README.md", README)
    # Its type comes from the title and first sections (neither says topology); its sections still count.
    assert spec["type"] == "other" and spec["covers"] == ["topology", "network"]


def test_a_fenced_heading_is_not_a_section() -> None:
    assert covers("# A\n```\n## Cluster topology\n```\n") == []


def test_covers_names_what_headings_treat_beyond_the_documents_type() -> None:
    ops = ("# Operations\n\n## On-call rotation\n\n## Escalation matrix\n\n| Level | Who | After |\n|---|---|---|\n"
           "| L1 | on-call engineer | at once |\n| L2 | platform lead | 30 min |\n\n## Troubleshooting\n\n"
           "## Runbook: disk full\n\n## Restoring a cluster from backup\n\n## Postmortems\n")
    assert covers(ops) == ["runbook", "oncall", "escalation", "troubleshooting", "disaster_recovery",
                           "incident_response"]
    # a subject in the title counts; a document type in the title is its type, not a section
    assert covers("# Security incident response\n\n## First hour\n") == ["incident_response", "security_incident"]
    assert covers("# Disaster recovery\n") == ["disaster_recovery"]
    assert covers("# Escalation matrix\n") == []
    assert covers("# Velero\n\n## Restore a backup with Velero\n") == ["disaster_recovery"]
    # words that only look alike: privilege escalation, a restore of settings, failing over nothing
    assert covers("# RBAC\n\n## Privilege escalation paths\n\n## Restore default settings\n") == []
    # headings in code fences are not headings
    assert covers("# Notes\n\n```\n## Disaster recovery\n```\n") == []
    # questions document nothing (interview questions, a FAQ); fail-over is availability, not recovery
    assert covers("# Questions\n\n### 40) How do you handle security incidents?\n") == []
    assert covers("# CDN\n\n### Add origin failover\n\n### Security response flow\n") == []
    # interview questions document no procedure, a plan's week plans one
    assert covers("# Security interview questions\n\n## E) Detection engineering & incident response\n") == []
    assert covers("# Phase 1\n\n## Week 2-3: Backup & Disaster Recovery\n") == []
    # an incident-response section of a security document is a security incident's
    assert covers("# Security monitoring guide\n\n## Incident response\n") == ["incident_response",
                                                                                "security_incident"]


def test_an_escalation_section_is_a_matrix_only_with_levels() -> None:
    one_channel = ("# Troubleshooting\n\n## Escalation\n\n### When to escalate\n\n- the platform is down\n\n"
                   "### How to escalate\n\n1. Collect logs\n2. Open an issue\n3. Contact `#incidents` on Slack\n\n"
                   "## Appendix\n\n| Tier 1 | Tier 2 |\n")  # levels outside the section do not count
    assert covers(one_channel) == ["escalation_contact"]
    tiers = "# Ops\n\n## Escalation path\n\n1. Primary on-call (page)\n2. Secondary on-call after 15 minutes\n"
    assert covers(tiers) == ["escalation"]
    # a document titled as a matrix is one only when it names levels
    assert document("docs/escalation.md", "# Escalation matrix\n\nAsk in #ops.\n")[2]["type"] == "other"
    assert document("docs/escalation.md", "# Escalation matrix\n\n| SEV1 | page |\n| SEV2 | ticket |\n")[2][
        "type"] == "escalation"


def test_architecture_is_documented_by_a_section_or_by_the_parts_with_a_diagram() -> None:
    assert covers("# Lab\n\n## Architecture\n\nThree clusters.\n") == ["architecture"]
    # headings decorated with inline HTML (emoji images) are read for their words
    parts = ('# Home ops\n\n## <img src="https://example.org/1f4a1.gif" alt="💡" width="20"> Overview\n\n'
             "### Core Components\n\n- cilium\n- flux\n\n### Flux Workflow\n\n```mermaid\ngraph TD\n  A --> B\n```\n")
    assert covers(parts) == ["architecture"]
    # the parts listed without a diagram, or a diagram without a section on the parts, are not enough
    assert covers(parts.replace("```mermaid", "```text")) == []
    assert covers(parts.replace("### Core Components", "### Installing")) == []
    # a repository's directory tree documents its layout, not the system's architecture
    assert covers("# Example\n\n## Repository structure\n\n```\n├── apps\n└── clusters\n```\n") == []
    # and a heading's HTML no longer hides an anchored topic
    assert covers('# Lab\n\n## <img src="x.gif" alt="🌐"> Networking\n') == ["network"]


def test_questions_and_narrow_architectures_document_no_architecture() -> None:
    # an interview's sections group questions ("## D) Threat Modeling & System Design"): nothing documented
    interview = "# Security Interview Questions\n\n## D) Threat Modeling & System Design (29-35)\n\n## Network design\n"
    assert covers(interview) == []
    # how a CI/CD pipeline is built is no architecture of the system; the system's is
    assert covers("# iOS DevOps\n\n## CI/CD Architecture\n\n## Testing Strategy\n") == []
    assert covers("# Platform\n\n## System architecture\n") == ["architecture"]
