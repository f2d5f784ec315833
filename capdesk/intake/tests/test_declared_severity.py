"""The grammar of a severity declared in an email: subject tags and field lines, nothing guessed."""

from __future__ import annotations

import pytest

from capdesk.intake.declared_severity import read_declaration
from capdesk.policy.types import Severity

BODY = "The production channel serves no bundle since 09:00."


@pytest.mark.parametrize(
    ("subject", "severity"),
    [
        ("[Urgent] Updates down", Severity.URGENT),
        ("[urgent] Updates down", Severity.URGENT),
        ("[P1] Updates down", Severity.URGENT),
        ("[Mendesak] Pembaruan mati", Severity.URGENT),
        ("[High] Dashboard slow", Severity.HIGH),
        ("[p2] Dashboard slow", Severity.HIGH),
        ("[TINGGI] Dasbor lambat", Severity.HIGH),
        ("[Normal] Question", Severity.NORMAL),
        ("[P3] Question", Severity.NORMAL),
        ("[Low] Idea", Severity.LOW),
        ("[P4] Idea", Severity.LOW),
        ("[Rendah] Ide", Severity.LOW),
        ("[ Urgent ] Updates down", Severity.URGENT),
    ],
)
def test_it_reads_each_subject_tag(subject: str, severity: Severity) -> None:
    assert read_declaration(subject, BODY).severity is severity


@pytest.mark.parametrize(
    "subject",
    [
        "Re: [CAP-12] [Urgent] Updates down",
        "RE[2]: Fwd: [Urgent] Updates down",
        "[EXTERNAL] [Urgent] Updates down",
        "Balas: [Mendesak] Pembaruan mati",
        "[Urgent][CAP-12] Updates down",
    ],
)
def test_it_reads_a_tag_among_the_leading_prefixes_and_tags(subject: str) -> None:
    assert read_declaration(subject, BODY).severity is Severity.URGENT


@pytest.mark.parametrize(
    "subject",
    [
        "Updates down [Urgent]",
        "Question about [P1] incidents",
        "Updates [Urgent] down",
        "[URGENT!!] Updates down",
        "[P1-Urgent] Updates down",
        "[Urgently] Updates down",
        "URGENT: updates down",
        "Urgent updates down",
        "(Urgent) Updates down",
        "[P5] Updates down",
        "[CAP-12] Updates down",
        "",
    ],
)
def test_it_takes_nothing_that_is_not_a_leading_tag(subject: str) -> None:
    declaration = read_declaration(subject, BODY)
    assert declaration.severity is None and declaration.subject == subject


def test_it_takes_the_tag_out_of_the_subject_and_keeps_the_reference() -> None:
    declaration = read_declaration("Re: [CAP-12]  [Urgent] Updates down", BODY)
    assert declaration.subject == "Re: [CAP-12] Updates down"
    assert declaration.said == ("[Urgent]",)


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Severity: urgent\n\n" + BODY, Severity.URGENT),
        ("Priority: P1\n" + BODY, Severity.URGENT),
        ("PRIORITY:p2\n" + BODY, Severity.HIGH),
        ("Tingkat: mendesak\n" + BODY, Severity.URGENT),
        ("Tingkat keparahan: Rendah\n" + BODY, Severity.LOW),
        ("Prioritas: tinggi\n" + BODY, Severity.HIGH),
        ("\n\n  Severity: Normal  \n" + BODY, Severity.NORMAL),
        # As the desk's own replies write it.
        ("Severity: Urgent (P1)\n" + BODY, Severity.URGENT),
        ("Tingkat: Mendesak (P1)\n" + BODY, Severity.URGENT),
    ],
)
def test_it_reads_a_severity_line_at_the_top_of_the_body(text: str, severity: Severity) -> None:
    declaration = read_declaration("Updates down", text)
    assert declaration.severity is severity
    assert declaration.subject == "Updates down"


@pytest.mark.parametrize(
    "text",
    [
        BODY + "\nSeverity: urgent",  # not at the top
        "Hello,\nSeverity: urgent\n" + BODY,
        "Severity: urgent!!\n" + BODY,
        "Severity: very urgent\n" + BODY,
        "Severity: Urgent (P2)\n" + BODY,  # the P number contradicts the word
        "Priority: we need this fixed today\n" + BODY,
        "This is urgent, production is down for everyone.",
        "Impact: urgent\n" + BODY,
        "Severity:\n" + BODY,
    ],
)
def test_it_guesses_nothing_from_other_lines_or_prose(text: str) -> None:
    assert read_declaration("Updates down", text).severity is None


def test_it_reads_a_production_impact_line_under_the_severity() -> None:
    declaration = read_declaration("[P1] Updates down", "Production: down\n" + BODY)
    assert (declaration.severity, declaration.production_impact) == (Severity.URGENT, True)
    assert declaration.said == ("[P1]", "Production: down")
    declaration = read_declaration("Pembaruan mati", "Tingkat: mendesak\nProduksi: mati\n" + BODY)
    assert (declaration.severity, declaration.production_impact) == (Severity.URGENT, True)


def test_a_production_line_states_nothing_below_other_text() -> None:
    declaration = read_declaration("[Urgent] Updates down", BODY + "\nProduction: down")
    assert (declaration.severity, declaration.production_impact) == (Severity.URGENT, False)


def test_it_declares_nothing_when_two_declarations_disagree() -> None:
    declaration = read_declaration("[Low] Updates down", "Severity: urgent\n" + BODY)
    assert declaration.severity is None
    assert declaration.subject == "[Low] Updates down"  # left as written, for agents to read


def test_two_declarations_that_agree_are_one() -> None:
    declaration = read_declaration("[P1] Updates down", "Severity: urgent\n" + BODY)
    assert declaration.severity is Severity.URGENT
    assert declaration.said == ("[P1]", "Severity: urgent")
    assert declaration.subject == "Updates down"


def test_two_tags_that_disagree_declare_nothing() -> None:
    assert read_declaration("[Urgent] [Low] Updates down", BODY).severity is None
