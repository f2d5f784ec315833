"""The new-request page promises what the policy will decide: E1 (the organization pays) as well as E4."""

import uuid
from decimal import Decimal

import pytest

from capdesk.directory.models import SubscriptionStatus
from capdesk.portal.actions import user_for_person
from capdesk.testing.factories import ProjectFactory, bind
from capdesk.tickets.models import Ticket

TECHNICAL = "technical help, billing and account"
ROLE_ONLY = "technical help needs App Developer access or higher (policy E4)"
UNPAID = "technical help is for organizations that use paid Capgo resources (policy E1)"
UPGRADE = "To get technical help, upgrade the plan or buy credits"


@pytest.fixture
def page_for(client):
    def get(person, language="en"):
        client.force_login(user_for_person(person))
        client.cookies["django_language"] = language
        return client.get("/portal/requests/new/").content.decode()

    return get


def _stop_paying(org, status):
    org.subscription_status = status
    org.credits_balance = Decimal("0")
    org.save()


def _file_a_technical_request(client):
    client.post(
        "/portal/requests/new/",
        {
            "project": "com.acme.shop",
            "subject": "Bundle never downloads",
            "severity": "normal",
            "idempotency_key": uuid.uuid4().hex,
            "body": "```\n[CapacitorUpdater] No new version available\n```",
        },
    )
    return Ticket.objects.get()


def test_a_developer_of_a_paid_organization_is_promised_technical_help(cast, page_for):
    page = page_for(cast.developer)
    assert TECHNICAL in page
    assert UPGRADE not in page


def test_a_reader_is_told_technical_help_needs_app_developer(cast, page_for):
    page = page_for(cast.reader)
    assert ROLE_ONLY in page
    assert TECHNICAL not in page


@pytest.mark.parametrize("status", [SubscriptionStatus.NONE, SubscriptionStatus.CANCELED])
def test_a_developer_of_an_unpaid_organization_is_told_how_to_get_technical_help(cast, page_for, status):
    _stop_paying(cast.org, status)
    page = page_for(cast.developer)
    assert TECHNICAL not in page
    assert UNPAID in page
    assert "Acme Apps has no active paid subscription, purchased credits or paid add-on" in page
    assert UPGRADE in page and 'href="https://console.capgo.app"' in page
    assert 'href="https://github.com/Cap-go"' in page and 'href="https://discord.capgo.app"' in page


def test_a_developer_of_a_trial_organization_is_not_promised_technical_help(cast, page_for):
    _stop_paying(cast.org, SubscriptionStatus.TRIALING)
    page = page_for(cast.developer)
    assert TECHNICAL not in page
    assert UNPAID in page and "a trial does not count" in page


def test_purchased_credits_are_paid_resources_without_a_subscription(cast, page_for):
    _stop_paying(cast.org, SubscriptionStatus.NONE)
    cast.org.credits_balance = Decimal("50")
    cast.org.save()
    assert TECHNICAL in page_for(cast.developer)


def test_the_panel_says_what_filing_then_decides(cast, page_for, client):
    _stop_paying(cast.org, SubscriptionStatus.NONE)
    assert UNPAID in page_for(cast.developer)
    ticket = _file_a_technical_request(client)
    assert ticket.outcome == "redirect_community"


def test_an_indonesian_reader_of_an_unpaid_organization_reads_it_in_indonesian(cast, page_for):
    _stop_paying(cast.org, SubscriptionStatus.TRIALING)
    page = page_for(cast.developer, language="id")
    assert UNPAID not in page and UPGRADE not in page
    assert "berbayar (kebijakan E1)" in page
    assert "Cara mendapatkan bantuan teknis" in page
    assert "masa uji coba tidak termasuk" in page and "konsol Capgo" in page and "tanpa jaminan" in page


def test_it_preselects_the_one_project_the_customer_qualifies_on(cast, page_for):
    page = page_for(cast.developer)
    assert '<option value="com.acme.shop" selected>' in page


def test_it_preselects_nothing_for_a_reader(cast, page_for):
    page = page_for(cast.reader)
    assert '<option value="" selected>' in page


def test_it_preselects_nothing_when_the_customer_qualifies_on_two_projects(cast, page_for):
    bind(
        cast.developer,
        "app_developer",
        project=ProjectFactory.create(organization=cast.org, app_id="com.acme.pos"),
    )
    page = page_for(cast.developer)
    assert '<option value="" selected>' in page
    assert '<option value="com.acme.shop" selected>' not in page
