"""A recovered monitor asks admins to resolve its incident after the quiet period; it never resolves it."""

from datetime import timedelta

import pytest

from capdesk.notify.models import OutboundEmail
from capdesk.status import monitor_actions
from capdesk.status.models import Incident, IncidentTemplate, Monitor, ResolutionProposal
from capdesk.status.probes import Outcome

UP, DOWN = Outcome(ok=True, latency_ms=20), Outcome(ok=False, latency_ms=0, error="connection refused")


@pytest.fixture
def monitor(api) -> Monitor:
    return Monitor.objects.create(
        name="API check", component=api, kind="tcp", target="127.0.0.1:9", failure_threshold=2
    )


@pytest.fixture(autouse=True)
def _quiet_period(settings):
    settings.CAPDESK_STATUS_RESOLVE_AFTER = 15


def _run(monitor, outcome, frozen, minutes=1) -> None:
    monitor_actions.record_result(monitor, outcome)
    frozen.shift(timedelta(minutes=minutes))


def _outage_then_recovery(monitor, frozen) -> Incident:
    _run(monitor, DOWN, frozen)
    _run(monitor, DOWN, frozen)
    _run(monitor, UP, frozen)
    incident = Incident.objects.get()
    assert incident.status == "monitoring"
    return incident


def _proposal_emails():
    return OutboundEmail.objects.filter(kind="status_resolve_proposal")


def test_it_proposes_resolution_once_the_monitor_stayed_up_for_the_quiet_period(cast, monitor, frozen):
    IncidentTemplate.objects.create(
        slug="resolved", name="Resolved", status="resolved", body="{component} is back to normal."
    )
    incident = _outage_then_recovery(monitor, frozen)
    for _ in range(14):  # up for 1 to 14 minutes: not yet
        _run(monitor, UP, frozen)
    assert not ResolutionProposal.objects.exists()
    _run(monitor, UP, frozen)  # 15 minutes after the first passing run
    proposal = ResolutionProposal.objects.get()
    assert proposal.incident == incident and proposal.state == "pending"
    assert proposal.body == "Live update API is back to normal."
    incident.refresh_from_db()
    assert incident.status == "monitoring"  # never resolved by the machine
    assert list(_proposal_emails().values_list("to", flat=True)) == [cast.admin.email]
    email = _proposal_emails().get()
    assert f"/console/incidents/{incident.public_id}/" in email.body_text
    assert "Live update API is back to normal." in email.body_text
    assert email.headers["Auto-Submitted"] == "auto-generated"
    for _ in range(30):
        _run(monitor, UP, frozen)
    assert ResolutionProposal.objects.count() == 1 and _proposal_emails().count() == 1
    incident.refresh_from_db()
    assert incident.status == "monitoring"


def test_it_tells_staff_with_the_incident_permission_but_not_other_agents(cast, monitor, frozen):
    from django.contrib.auth.models import Permission

    from capdesk.testing.factories import make_user

    on_call = make_user("oncall", staff=True)
    on_call.user_permissions.add(Permission.objects.get(codename="change_incident"))
    _outage_then_recovery(monitor, frozen)
    frozen.shift(timedelta(minutes=15))
    _run(monitor, UP, frozen)
    assert sorted(_proposal_emails().values_list("to", flat=True)) == sorted(
        [cast.admin.email, on_call.email]
    )
    assert cast.agent.email not in _proposal_emails().values_list("to", flat=True)


def test_a_failure_before_the_quiet_period_ends_means_no_proposal(cast, monitor, frozen):
    _outage_then_recovery(monitor, frozen)
    for _ in range(10):
        _run(monitor, UP, frozen)
    _run(monitor, DOWN, frozen)  # one failure, below the threshold: still monitoring
    for _ in range(10):
        _run(monitor, UP, frozen)
    assert not ResolutionProposal.objects.exists()  # the quiet period started again
    for _ in range(6):  # 15 minutes since the first passing run after the failure
        _run(monitor, UP, frozen)
    assert ResolutionProposal.objects.count() == 1


def test_a_failure_after_the_proposal_withdraws_it_and_its_resolve_button(cast, client, monitor, frozen):
    incident = _outage_then_recovery(monitor, frozen)
    frozen.shift(timedelta(minutes=20))
    _run(monitor, UP, frozen)
    proposal = ResolutionProposal.objects.get()
    _run(monitor, DOWN, frozen)
    proposal.refresh_from_db()
    assert proposal.state == "withdrawn" and "failed again" in proposal.reason
    client.force_login(cast.admin)
    assert f"proposal-{proposal.pk}" not in client.get("/console/incidents/").content.decode()
    detail = client.get(f"/console/incidents/{incident.public_id}/").content.decode()
    assert 'id="withdrawn-proposal"' in detail and "API check failed again" in detail
    response = client.post(
        f"/console/incidents/{incident.public_id}/resolve/", {"proposal": proposal.pk, "body": "Fixed."}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "monitoring"


def test_an_admin_resolves_from_the_console_notice_with_one_click(cast, client, monitor, frozen):
    incident = _outage_then_recovery(monitor, frozen)
    frozen.shift(timedelta(minutes=20))
    _run(monitor, UP, frozen)
    proposal = ResolutionProposal.objects.get()
    client.force_login(cast.admin)
    page = client.get("/console/incidents/").content.decode()
    assert f'id="proposal-{proposal.pk}"' in page and "This incident has been resolved." in page
    response = client.post(
        f"/console/incidents/{incident.public_id}/resolve/", {"proposal": proposal.pk, "body": proposal.body}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    proposal.refresh_from_db()
    assert incident.status == "resolved" and incident.updates.all()[0].created_by == cast.admin
    assert proposal.state == "accepted" and proposal.resolved_by == cast.admin
    _run(monitor, UP, frozen)
    monitor.refresh_from_db()
    assert monitor.incident is None


def test_the_resolve_button_refuses_a_forged_post_without_the_csrf_token(cast, monitor, frozen):
    from django.test import Client

    incident = _outage_then_recovery(monitor, frozen)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.admin)
    response = strict.post(f"/console/incidents/{incident.public_id}/resolve/", {"body": "x"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "monitoring"


def test_agents_without_the_permission_see_no_proposal_and_cannot_resolve(cast, client, monitor, frozen):
    incident = _outage_then_recovery(monitor, frozen)
    frozen.shift(timedelta(minutes=20))
    _run(monitor, UP, frozen)
    client.force_login(cast.agent)
    assert "proposal-" not in client.get("/console/incidents/").content.decode()
    response = client.post(f"/console/incidents/{incident.public_id}/resolve/", {"body": "x"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "monitoring"


def test_after_a_withdrawal_a_new_quiet_period_brings_a_new_proposal(cast, monitor, frozen):
    _outage_then_recovery(monitor, frozen)
    frozen.shift(timedelta(minutes=20))
    _run(monitor, UP, frozen)
    _run(monitor, DOWN, frozen)  # withdrawn
    _run(monitor, UP, frozen)
    frozen.shift(timedelta(minutes=15))
    _run(monitor, UP, frozen)
    assert list(ResolutionProposal.objects.order_by("created_at").values_list("state", flat=True)) == [
        "withdrawn",
        "pending",
    ]
    assert _proposal_emails().count() == 2
