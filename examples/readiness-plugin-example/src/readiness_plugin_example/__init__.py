"""An example readiness check plugin (see docs/plugins.md of readiness).

``readiness_plugin_example.checks`` registers two checks when imported; ``RUBRIC`` is a rubric
snippet that loads the plugin and gives the checks their category, weight and thresholds.
"""

from pathlib import Path

RUBRIC = Path(__file__).with_name("rubric.yaml")
