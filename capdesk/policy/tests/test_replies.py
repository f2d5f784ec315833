"""Standard replies: every one renders in English and Indonesian, saying what happens next and what to do."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from capdesk.policy.decide import decide
from capdesk.policy.document import Policy
from capdesk.policy.replies import RenderError, render
from capdesk.policy.reply_keys import ReplyKey
from capdesk.policy.tests.makers import classified, incident, org, project, request, requester
from capdesk.policy.tests.test_decide_outcomes import CASES, run
from capdesk.policy.types import Decision, Identity, Severity

CONTEXT = {
    "reference": "CAP-1042",
    "subject": "Updates stopped after 6.2",
    "portal_url": "https://support.capgo.app/tickets/CAP-1042",
    "name": "Dewi",
    "confirm_url": "https://support.capgo.app/confirm/abc123",
    "confirm_minutes": "15 minutes",  # written out by intake.confirmation.lifetime_text
}
LEFTOVER = re.compile(r"[{}]")


def decision_for(reply: ReplyKey, policy: Policy) -> Decision:
    for case in CASES:
        decision = run(case, policy)
        if decision.reply == reply.value:
            return decision
    raise AssertionError(f"no case reaches the {reply} reply")


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("reply", list(ReplyKey))
def test_it_renders_every_reply_with_no_placeholder_left(
    reply: ReplyKey, language: str, policy: Policy
) -> None:
    subject, body = render(decision_for(reply, policy), language, CONTEXT, policy)
    assert subject and body
    assert not LEFTOVER.search(subject + body), (subject, body)
    assert "\n" not in subject
    assert "\n\n\n" not in body and "None" not in body


@pytest.mark.parametrize("language", ["en", "id"])
def test_it_gives_the_community_links_and_the_c5_checklist_on_a_redirect(
    language: str, policy: Policy
) -> None:
    decision = decide(request(), requester(), project(), (), classified("out.app_code"), policy)
    _, body = render(decision, language, CONTEXT, policy)
    assert "https://github.com/Cap-go" in body and "https://discord.capgo.app" in body
    assert "(C5)" in body and "@capgo/capacitor-updater" in body
    assert "martin@capgo.app" in body and "250" in body  # Team qualifies: the Premium offer


def test_it_leaves_the_premium_offer_out_when_the_plan_does_not_qualify(policy: Policy) -> None:
    solo = org("solo")
    decision = decide(request(), requester(solo), project(solo), (), classified("out.app_code"), policy)
    _, body = render(decision, "en", CONTEXT, policy)
    assert "martin@capgo.app" not in body
    assert "own application" in body


def test_it_says_why_a_request_without_paid_resources_is_redirected(policy: Policy) -> None:
    trial = org("team", "trialing")
    decision = decide(request(), requester(trial), project(trial), (), classified("fix.how_to"), policy)
    _, body = render(decision, "id", CONTEXT, policy)
    assert "(E1)" in body and "kredit" in body


def test_it_links_the_incident_in_a_status_referral(policy: Policy) -> None:
    decision = decide(request(), None, None, (incident("inc-7"),), classified("incident"), policy)
    subject, body = render(decision, "en", CONTEXT, policy)
    assert "https://status.capgo.app/incidents/inc-7" in body
    assert subject == "Known issue: Update service degraded"


def test_it_gives_the_confirmation_step_and_nothing_about_the_account(policy: Policy) -> None:
    decision = decide(
        request("email", Identity.UNVERIFIED), requester(), project(), (), classified("fix.how_to"), policy
    )
    _, body = render(decision, "en", CONTEXT, policy)
    assert CONTEXT["confirm_url"] in body and "15 minutes" in body
    assert "Dewi" not in body and "com.acme.shop" not in body


def test_it_lists_the_projects_to_choose_from(policy: Policy) -> None:
    decision = decide(request(), requester(), None, (), classified("fix.how_to"), policy)
    _, body = render(decision, "id", CONTEXT, policy)
    assert "- com.acme.shop (Shop, Acme Apps)" in body


def test_it_names_who_can_grant_app_developer(policy: Policy) -> None:
    facts = project(qualifies=False, grantors=("Ana Admin", "Budi"))
    decision = decide(request(), requester(), facts, (), classified("fix.how_to"), policy)
    _, body = render(decision, "en", CONTEXT, policy)
    assert "- Ana Admin\n- Budi" in body and "com.acme.shop" in body


def test_it_falls_back_to_any_admin_when_it_knows_no_grantor(policy: Policy) -> None:
    nobody = org(grantors=())
    who = requester(nobody, qualifying=())
    decision = decide(request(), who, None, (), classified("fix.how_to"), policy)
    _, body = render(decision, "en", CONTEXT, policy)
    assert "any app of your organization" in body and "Super Admin" in body


def test_it_tells_an_unregistered_sender_how_to_reach_support(policy: Policy) -> None:
    decision = decide(request("email", Identity.UNKNOWN), None, None, (), classified("billing"), policy)
    _, body = render(decision, "en", CONTEXT, policy)
    assert "registered" in body and "https://console.capgo.app" in body


def test_it_explains_a_lowered_severity_in_the_customers_language(policy: Policy) -> None:
    decision = decide(
        request(severity=Severity.URGENT), requester(), project(), (), classified("fix.how_to"), policy
    )
    _, body = render(decision, "id", CONTEXT, policy)
    assert "Mendesak (P1)" in body and "Tinggi (P2)" in body


def test_it_shows_the_retainer_hours_left(policy: Policy) -> None:
    holder = org(addons=frozenset({"premium_support"}), minutes_used=90)
    decision = decide(request(), requester(holder), project(holder), (), classified("out.rewrite"), policy)
    _, en = render(decision, "en", CONTEXT, policy)
    _, id_ = render(decision, "id", CONTEXT, policy)
    assert "2.5 hours left" in en and "tersisa 2,5 jam" in id_


def test_it_states_the_sla_of_an_accepted_request(policy: Policy) -> None:
    enterprise = org("enterprise")
    decision = decide(
        request(), requester(enterprise), project(enterprise), (), classified("fix.how_to"), policy
    )
    _, body = render(decision, "en", CONTEXT, policy)
    assert "Service Level Agreement applies" in body


def test_it_keeps_a_customers_subject_on_one_line(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (), classified("fix.how_to"), policy)
    subject, _ = render(decision, "en", {**CONTEXT, "subject": "help\r\nBcc: victim@example.com"}, policy)
    assert "\n" not in subject and "\r" not in subject


def test_it_answers_in_the_policys_first_language_when_it_has_no_replies_in_another(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (), classified("fix.how_to"), policy)
    assert render(decision, "fr", CONTEXT, policy) == render(decision, "en", CONTEXT, policy)


def test_it_says_which_context_value_is_missing(policy: Policy) -> None:
    decision = decide(
        request("email", Identity.UNVERIFIED), requester(), None, (), classified("billing"), policy
    )
    context = {k: v for k, v in CONTEXT.items() if k != "confirm_url"}
    with pytest.raises(RenderError, match="confirm_url"):
        render(decision, "en", context, policy)


def test_it_refuses_context_it_does_not_know(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (), classified("fix.how_to"), policy)
    with pytest.raises(RenderError, match="support_address"):
        render(decision, "en", {**CONTEXT, "support_address": "evil@example.com"}, policy)


def test_it_renders_under_the_configured_policy_by_default(policy: Policy) -> None:
    decision = decide(request(), requester(), project(), (), classified("fix.how_to"), policy)
    assert render(decision, "en", CONTEXT) == render(decision, "en", CONTEXT, policy)


def test_an_app_named_after_its_organization_is_named_once(policy: Policy) -> None:
    shop = org(name="Shop")  # the app maker's ref names the app "Shop" after com.acme.shop
    decision = decide(request(), requester(shop), None, (), classified("fix.how_to"), policy)
    _, body = render(decision, "en", CONTEXT, policy)
    assert "- com.acme.shop (Shop)\n" in body + "\n" and "(Shop, Shop)" not in body


def test_a_status_referral_quotes_the_incident_title_in_the_replys_language(policy: Policy) -> None:
    translated = replace(incident("inc-7"), translated_titles=(("id", "Layanan pembaruan terganggu"),))
    decision = decide(request(), None, None, (translated,), classified("incident"), policy)
    subject, body = render(decision, "id", CONTEXT, policy)
    assert subject == "Masalah yang sudah diketahui: Layanan pembaruan terganggu"
    assert "Layanan pembaruan terganggu" in body
    english, _ = render(decision, "en", CONTEXT, policy)
    assert english == "Known issue: Update service degraded"


def test_a_status_referral_without_a_translation_quotes_the_original_title(policy: Policy) -> None:
    decision = decide(request(), None, None, (incident("inc-7"),), classified("incident"), policy)
    subject, _ = render(decision, "id", CONTEXT, policy)
    assert subject == "Masalah yang sudah diketahui: Update service degraded"


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_triage_reply_asks_for_the_app_only_when_the_request_named_none(
    language: str, policy: Policy
) -> None:
    unsure = classified("fix.how_to", confidence=0.2)
    named = decide(request(), requester(), project(), (), unsure, policy)
    unnamed = decide(request(), requester(), None, (), unsure, policy)
    assert named.reply == unnamed.reply == ReplyKey.TRIAGE
    app_id = {"en": "app id", "id": "id aplikasi"}[language]
    assert app_id not in render(named, language, CONTEXT, policy)[1]
    assert app_id in render(unnamed, language, CONTEXT, policy)[1]
