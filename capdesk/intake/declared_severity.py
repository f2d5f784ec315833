"""The severity a customer declares in an email: a subject tag or a field line at the top.

Email has no severity field, yet it is Capgo's fallback channel (C2) for exactly the
customer whose dashboard is down. A declaration must be written on purpose, in this
grammar (case-insensitive), and nothing is guessed from prose:

- **Subject tag**: ``[Urgent]`` or ``[P1]`` or ``[Mendesak]``; ``[High]``, ``[P2]``,
  ``[Tinggi]``; ``[Normal]``, ``[P3]``; ``[Low]``, ``[P4]``, ``[Rendah]``. Only in the
  subject's leading run of reply prefixes (``Re:``, ``Fwd:``, ``Balas:`` ...) and bracketed
  tags (``[CAP-1042]``, ``[EXTERNAL]``): a tag after the first word is part of the title.
  Spaces inside the brackets are allowed; anything else (``[URGENT!!]``, ``[P1-Urgent]``) is
  not a tag.
- **Field lines**: the body's first lines (after any blank ones), while each is ``Key: value``.
  ``Severity``, ``Priority``, ``Tingkat``, ``Tingkat keparahan`` or ``Prioritas`` take a
  value from the tags' words (``urgent``, ``p1``, ``mendesak`` ...), optionally followed by
  its own P number as the desk's replies write it (``Urgent (P1)``). ``Production`` or
  ``Produksi`` with ``down`` or ``mati`` states that production is unusable for all users,
  which Capgo's Urgent requires (L1), like the portal's checkbox. The first other line
  ends the fields.

Declarations that disagree (``[Low]`` and ``Severity: urgent``) declare nothing: the desk
does not pick one. The policy decides what a declaration is worth (``policy.decide``:
only a proven sender's counts, E3), and intake only reads it on a new request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from capdesk.policy.types import Severity

_WORDS = {
    Severity.URGENT: ("urgent", "p1", "mendesak"),
    Severity.HIGH: ("high", "p2", "tinggi"),
    Severity.NORMAL: ("normal", "p3"),
    Severity.LOW: ("low", "p4", "rendah"),
}
_SEVERITY_OF = {word: severity for severity, words in _WORDS.items() for word in words}
_P_NUMBER = {severity: words[1] for severity, words in _WORDS.items()}

# The subject's leading run: reply and forward prefixes (as the classifier knows them, with
# Outlook's "RE[2]:") and bracketed tags, in any order.
_PREFIX = re.compile(r"\s*(?:re|fwd?|aw|bls|balas|tr)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_BRACKET = re.compile(r"\s*\[\s*([^\[\]]{0,40}?)\s*\]")
_SPACE = re.compile(r"\s+")

_SEVERITY_KEYS = frozenset({"severity", "priority", "tingkat", "tingkat keparahan", "prioritas"})
_PRODUCTION_KEYS = frozenset({"production", "produksi"})
_PRODUCTION_DOWN = frozenset({"down", "mati"})
_FIELD = re.compile(r"([a-z]+(?: [a-z]+)?)\s*:\s*(\S.*?)", re.IGNORECASE)
_VALUE = re.compile(r"([a-z0-9]+)(?:\s*\(\s*(p[1-4])\s*\))?", re.IGNORECASE)


@dataclass(frozen=True)
class Declaration:
    """What an email declares: a severity, a production impact, the words that said so, and
    its subject without the severity tag (which is an instruction to the desk, not a title)."""

    severity: Severity | None
    production_impact: bool
    said: tuple[str, ...]  # the tags and lines as the customer wrote them, for agents
    subject: str


def read_declaration(subject: str, text: str) -> Declaration:
    """The declaration in an email's ``subject`` and ``text`` (see the module doc); an empty one if none."""
    tags = _subject_tags(subject)
    severity_lines, production_lines = _field_lines(text)
    declared = {severity for severity, _ in tags} | {severity for severity, _ in severity_lines}
    if len(declared) > 1:
        # Nothing taken: the subject stays as written, so agents see what was asked.
        return Declaration(None, bool(production_lines), tuple(production_lines), subject)
    said = (*(f"[{word}]" for _, word in tags), *(line for _, line in severity_lines), *production_lines)
    return Declaration(
        severity=declared.pop() if declared else None,
        production_impact=bool(production_lines),
        said=said,
        subject=_without_tags(subject) if tags else subject,
    )


def _leading_brackets(subject: str) -> list[re.Match[str]]:
    """The bracketed tags of the subject's leading run."""
    found, at = [], 0
    while match := _PREFIX.match(subject, at) or _BRACKET.match(subject, at):
        if match.re is _BRACKET:
            found.append(match)
        at = match.end()
    return found


def _subject_tags(subject: str) -> list[tuple[Severity, str]]:
    return [
        (_SEVERITY_OF[m.group(1).casefold()], m.group(1))
        for m in _leading_brackets(subject)
        if m.group(1).casefold() in _SEVERITY_OF
    ]


def _without_tags(subject: str) -> str:
    tags = [m for m in _leading_brackets(subject) if m.group(1).casefold() in _SEVERITY_OF]
    for m in reversed(tags):
        subject = subject[: m.start()] + " " + subject[m.end() :]
    return _SPACE.sub(" ", subject).strip()


def _field_lines(text: str) -> tuple[list[tuple[Severity, str]], list[str]]:
    """The severity and production field lines at the top of ``text``, as written."""
    severities: list[tuple[Severity, str]] = []
    production: list[str] = []
    for raw in text.lstrip().splitlines():
        line = raw.strip()
        field = _FIELD.fullmatch(line)
        if field is None:
            break
        key, value = _SPACE.sub(" ", field.group(1)).casefold(), field.group(2).casefold()
        if key in _SEVERITY_KEYS and (severity := _severity_value(value)) is not None:
            severities.append((severity, line))
        elif key in _PRODUCTION_KEYS and value in _PRODUCTION_DOWN:
            production.append(line)
        else:
            break
    return severities, production


def _severity_value(value: str) -> Severity | None:
    """``urgent``, or ``urgent (p1)`` when the P number agrees; None for anything else."""
    match = _VALUE.fullmatch(value)
    if match is None or match.group(1) not in _SEVERITY_OF:
        return None
    severity = _SEVERITY_OF[match.group(1)]
    if match.group(2) is not None and _P_NUMBER[severity] != match.group(2):
        return None
    return severity
