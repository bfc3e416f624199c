"""One exception tree for readiness; every error says what failed and what to do."""

from __future__ import annotations


class ReadinessError(Exception):
    """Root of every error readiness raises on purpose.

    ``str(err)`` is a single line fit for a terminal: what failed, where, and what to do.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class SchemaError(ReadinessError):
    """A Parquet table does not match its declared schema."""

    def __init__(self, table: str, path: str, column: str, problem: str) -> None:
        self.table, self.path, self.column, self.problem = table, path, column, problem
        super().__init__(
            f"{path}: column '{column}' of table '{table}' {problem}",
            hint="regenerate the file or fix the writer that produced it",
        )


class DataFileError(ReadinessError):
    """A file of the data directory cannot be read (truncated, corrupt, not Parquet)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path, self.problem = path, problem
        data = _data_dir_of(path)
        super().__init__(f"{path}: {problem}",
                         hint=f"'readiness doctor --data {data} --repair' moves it aside; collect again to replace it")


def _data_dir_of(path: str) -> str:
    # <data>/<table>/cluster=C/date=D/file.parquet -> <data>
    parts = path.replace("\\", "/").split("/")
    for i, part in enumerate(parts):
        if part.startswith("cluster=") and i >= 2:
            return "/".join(parts[: i - 1]) or "."
    return "DIR"


class DataNotFoundError(ReadinessError):
    """The data directory holds no snapshots (or none matching the request)."""


class DataMixError(ReadinessError):
    """Demo data and collected data would end up in the same directory."""


class ConfigError(ReadinessError):
    """A YAML/CSV input file (rubric, plan, risks, attestations, waivers, work log) is invalid."""

    def __init__(self, path: str, problem: str, *, line: int | None = None, hint: str | None = None) -> None:
        self.path, self.problem, self.line = path, problem, line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}", hint=hint)


class UnknownCheckError(ReadinessError):
    """A check id that is not registered was asked for."""

    def __init__(self, check_id: str, known: list[str]) -> None:
        self.check_id, self.known = check_id, known
        shown = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
        super().__init__(
            f"unknown check id '{check_id}'",
            hint=f"known ids: {shown}; 'readiness checks' lists all {len(known)}",
        )


class DuplicateCheckError(ReadinessError, ValueError):
    """A check id registered twice (ids are global: built-in checks and every plugin share them)."""

    def __init__(self, check_id: str, first: str, second: str) -> None:
        self.check_id, self.first, self.second = check_id, first, second
        super().__init__(f"check id '{check_id}' of {second} is already registered by {first}",
                         hint="give the check another id (a plugin's ids should start with its own prefix)")


class PluginError(ReadinessError):
    """A check plugin (entry point of group ``readiness.checks``, or a rubric's ``plugins:`` name)
    could not be loaded: it fails to import, or registers an id another check has."""

    def __init__(self, plugin: str, problem: str, *, hint: str) -> None:
        self.plugin, self.problem = plugin, problem
        super().__init__(f"check plugin '{plugin}': {problem}", hint=hint)


class CollectError(ReadinessError):
    """Collecting from a cluster or repository failed."""

    def __init__(self, cluster: str, problem: str, *, hint: str | None = None) -> None:
        self.cluster, self.problem = cluster, problem
        super().__init__(f"cluster '{cluster}': {problem}", hint=hint)


class ReportError(ReadinessError):
    """Building the monthly report failed (a notebook, a figure or the renderer)."""


class MalformedFieldError(ReadinessError):
    """A collected object's field has a value a check cannot read (templated, wrong type).

    Raised by check helpers; the evaluation turns it into an ``unknown`` finding naming the
    object (``kind/namespace/name``) and the field (dotted path).
    """

    def __init__(self, ref: str, field: str, value: object, expected: str) -> None:
        self.ref, self.field, self.value, self.expected = ref, field, value, expected
        shown = repr(value)
        shown = shown[:60] + "..." if len(shown) > 60 else shown
        super().__init__(f"{ref}: field {field} is {shown}, not {expected}",
                         hint="render templates (envsubst, Flux post-build substitution) before collecting")
