"""What one sync changed: counts per kind of row, and the warnings worth a reader's time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["organizations", "people", "projects", "bindings"]
Verb = Literal["created", "updated", "deleted", "unchanged"]
KINDS: tuple[Kind, ...] = ("organizations", "people", "projects", "bindings")
VERBS: tuple[Verb, ...] = ("created", "updated", "deleted", "unchanged")


def _empty_counts() -> dict[Kind, dict[Verb, int]]:
    return {kind: dict.fromkeys(VERBS, 0) for kind in KINDS}


@dataclass
class Summary:
    """Counts of created/updated/deleted/unchanged rows per kind, plus warnings and an ignore reason."""

    counts: dict[Kind, dict[Verb, int]] = field(default_factory=_empty_counts)
    warnings: list[str] = field(default_factory=list)
    ignored: str = ""

    def add(self, kind: Kind, verb: Verb, n: int = 1) -> None:
        self.counts[kind][verb] += n

    def merge(self, other: Summary) -> None:
        for kind in KINDS:
            for verb in VERBS:
                self.counts[kind][verb] += other.counts[kind][verb]
        self.warnings.extend(other.warnings)

    @property
    def changed(self) -> int:
        changes: tuple[Verb, ...] = ("created", "updated", "deleted")
        return sum(self.counts[kind][verb] for kind in KINDS for verb in changes)

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {"changes": self.counts, "warnings": self.warnings}
        if self.ignored:
            result["ignored"] = self.ignored
        return result

    def lines(self) -> list[str]:
        """A plain-text report, one line per kind, then the warnings."""
        out = [
            f"{kind:<14}" + "  ".join(f"{verb} {self.counts[kind][verb]}" for verb in VERBS) for kind in KINDS
        ]
        if self.ignored:
            out.append(f"ignored: {self.ignored}")
        out.extend(f"warning: {w}" for w in self.warnings)
        return out
