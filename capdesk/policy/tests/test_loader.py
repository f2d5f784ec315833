"""The policy file: the shipped one loads, and a broken one is refused with its file, line and reason."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from capdesk.policy.document import Policy
from capdesk.policy.loader import PolicyError, load_policy
from capdesk.policy.types import Group

BrokenCopy = Callable[[str, str], tuple[Path, int]]

DESIGN_SCOPES = {
    "setup.live_updates": ("S1.1", Group.COVERED),
    "setup.app_config": ("S1.2", Group.COVERED),
    "setup.stack": ("S1.3", Group.COVERED),
    "fix.known_issue": ("S2.1", Group.COVERED),
    "fix.how_to": ("S2.2", Group.COVERED),
    "fix.live_updates": ("S2.3", Group.COVERED),
    "fix.app_management": ("S2.3", Group.COVERED),
    "fix.analytics": ("S2.3", Group.COVERED),
    "billing": ("B1", Group.BILLING_ACCOUNT),
    "account": ("B1", Group.BILLING_ACCOUNT),
    "out.app_code": ("X1", Group.NOT_COVERED),
    "out.rewrite": ("X2", Group.NOT_COVERED),
    "out.third_party": ("X3", Group.NOT_COVERED),
    "out.self_hosted": ("S0", Group.NOT_COVERED),
    "incident": ("M2", Group.INCIDENT),
    "premium": ("R1", Group.PREMIUM),
    "feature_request": (None, Group.FEEDBACK),
}
POLICY_MD_CLAUSES = [
    "S0",
    "S1",
    "S1.1",
    "S1.2",
    "S1.3",
    "S2",
    "S2.1",
    "S2.2",
    "S2.3",
    "X1",
    "X2",
    "X3",
    "B1",
    "E1",
    "E2",
    "E3",
    "E4",
    "C1",
    "C2",
    "C3",
    "C4",
    "C5",
    "L1",
    "M1",
    "M2",
    "R1",
]


def refused(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    return caught.value


def test_it_ships_every_clause_of_the_policy_in_english_and_indonesian(policy: Policy) -> None:
    assert sorted(policy.clauses) == sorted(POLICY_MD_CLAUSES)
    for clause in policy.clauses.values():
        assert clause.text["en"] and clause.text["id"]
    assert "registered" in policy.clause_text("E3", "en")
    assert "terdaftar" in policy.clause_text("E3", "id")


def test_it_ships_the_scope_ids_of_the_design_with_their_clause_and_group(policy: Policy) -> None:
    assert set(policy.scopes) == set(DESIGN_SCOPES)
    for scope_id, (clause, group) in DESIGN_SCOPES.items():
        scope = policy.scopes[scope_id]
        assert scope.group == group
        assert scope.clauses == ((clause,) if clause else ())


def test_it_ships_capgo_facts_about_plans_premium_and_community(policy: Policy) -> None:
    assert set(policy.plans) == {"solo", "maker", "team", "enterprise"}
    assert "trialing" not in policy.paid.subscriptions
    assert policy.premium.offer_plans == ("team", "enterprise")
    assert policy.premium.sales_address == "martin@capgo.app"
    assert (policy.premium.hours_per_month, policy.premium.extra_hour_eur) == (Decimal(4), Decimal(250))
    assert policy.premium.covers == {"X1", "X2", "X3"}
    assert policy.github_url == "https://github.com/Cap-go"
    assert policy.discord_url == "https://discord.capgo.app"
    assert set(policy.queues) == {"support", "billing", "sales", "product", "triage"}
    assert policy.sla.contractual_plans == {"enterprise"} and policy.sla.goal_plans == {"team"}


def test_it_reports_a_toml_syntax_error_with_the_line_tomllib_gives(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy('sla_url = "https://capgo.app/sla"', "sla_url = https://capgo.app/sla")
    error = refused(path)
    assert (error.source, error.line) == (path, line)
    assert "TOML syntax error" in error.reason
    assert str(error).startswith(f"{path}:{line}: ")


def test_it_reports_an_unknown_clause_id_at_the_line_that_cites_it(policy_copy: BrokenCopy) -> None:
    path, _ = policy_copy(
        '[scopes."fix.how_to"]\nclauses = ["S2.2"]', '[scopes."fix.how_to"]\nclauses = ["S2.9"]'
    )
    error = refused(path)
    text = path.read_text()
    assert error.line == text.splitlines().index('clauses = ["S2.9"]') + 1
    assert error.reason == "scopes.\"fix.how_to\".clauses: unknown clause id 'S2.9'"


def test_it_reports_a_reply_in_a_language_the_policy_does_not_list(policy_copy: BrokenCopy) -> None:
    path, _ = policy_copy("[replies.deny_role.id]", "[replies.deny_role.fr]")
    error = refused(path)
    assert error.line == path.read_text().splitlines().index("[replies.deny_role.fr]") + 1
    assert error.reason == "replies.deny_role: unknown key 'fr'"


def test_it_reports_a_reply_that_is_missing_altogether(policy_copy: BrokenCopy) -> None:
    path, _ = policy_copy("[replies.triage.en]", "[replies.triage_typo.en]")
    error = refused(path)
    assert error.line == path.read_text().splitlines().index("[replies.triage_typo.en]") + 1
    assert "unknown key 'triage_typo'" in error.reason


def test_it_reports_a_reply_without_its_indonesian_text(policy_copy: BrokenCopy) -> None:
    path, _ = policy_copy("[replies.refer_status.id]", "[replies.refer_status_old.id]")
    text = path.read_text()
    # The renamed table is an unknown key too; drop it and its body to see the missing language alone.
    start = text.index("[replies.refer_status_old.id]")
    end = text.index("[replies.redirect_community.en]")
    path.write_text(text[:start] + text[end:])
    error = refused(path)
    assert error.reason == "replies.refer_status.id: is missing"
    assert error.line == path.read_text().splitlines().index("[replies.refer_status.en]") + 1


def test_it_reports_an_unknown_plan(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy('offer_plans = ["team", "enterprise"]', 'offer_plans = ["team", "gold"]')
    error = refused(path)
    assert (error.line, error.reason) == (line, "premium.offer_plans: unknown plan 'gold'")


def test_it_reports_a_placeholder_no_reply_can_fill(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy(
        'subject = "Known issue: {incident_title}"', 'subject = "Known issue: {incident_titel}"'
    )
    error = refused(path)
    assert error.line == line
    assert error.reason.startswith("replies.refer_status.en.subject: unknown placeholder {incident_titel}")


def test_it_refuses_a_placeholder_that_reaches_into_an_object(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy(
        'subject = "Known issue: {incident_title}"', 'subject = "Known issue: {incident_title.__class__}"'
    )
    assert refused(path).line == line


def test_it_refuses_to_name_the_account_holder_before_the_sender_is_proven(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy(
        'subject = "Please confirm your request: {subject}"', 'subject = "{name}, please confirm: {subject}"'
    )
    error = refused(path)
    assert error.line == line and "unknown placeholder {name}" in error.reason


def test_it_reports_an_unknown_role(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy('app = ["app_admin", "app_developer"]', 'app = ["app_admin", "app_develop"]')
    error = refused(path)
    assert (error.line, error.reason) == (line, "roles.app: unknown role 'app_develop'")


def test_it_refuses_retainer_hours_that_roll_over(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy("rollover = false", "rollover = true")
    assert refused(path).line == line


def test_it_reports_a_threshold_outside_zero_to_one(policy_copy: BrokenCopy) -> None:
    path, line = policy_copy("confidence_threshold = 0.6", "confidence_threshold = 60")
    error = refused(path)
    assert error.line == line and "between 0 and 1" in error.reason


def test_it_reports_a_file_it_cannot_read(tmp_path: Path) -> None:
    error = refused(tmp_path / "nowhere.toml")
    assert error.line is None and "cannot read" in error.reason


def test_it_refuses_a_not_covered_scope_whose_reply_could_not_say_why(policy_copy: BrokenCopy) -> None:
    path, _ = policy_copy(
        '[scopes."out.rewrite"]\nclauses = ["X2"]', '[scopes."out.rewrite"]\nclauses = ["C4"]'
    )
    error = refused(path)
    assert error.line == path.read_text().splitlines().index('clauses = ["C4"]') + 1
    assert "must cite first one of S0, X1, X2, X3" in error.reason
