"""A document's sections can document the topology or the network, whatever the document is."""

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
