"""`capdesk status`: the same actions from a shell."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from capdesk.status.models import Component, Incident


def _run(*args: str) -> str:
    out = StringIO()
    call_command("status", *args, stdout=out)
    return out.getvalue().strip()


def test_an_admin_opens_updates_and_resolves_an_incident_from_the_shell(api):
    public_id = _run(
        "open", "--name", "Uploads failing", "--body", "Investigating.", "--impact", "major",
        "--component", "live update api=partial_outage",
    )  # fmt: skip
    incident = Incident.objects.get(public_id=public_id)
    assert Component.objects.get(pk=api.pk).status == "partial_outage"
    assert "Partial System Outage (major)" in _run("summary")
    _run("update", public_id, "--status", "identified", "--body", "A bad deploy.")
    _run("resolve", public_id)
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert [u.status for u in incident.updates.all()] == ["resolved", "identified", "investigating"]
    assert json.loads(_run("summary", "--json"))["status"]["indicator"] == "none"


def test_mistakes_are_reported_not_half_done(api):
    with pytest.raises(CommandError, match="no component"):
        _run("open", "--name", "X", "--body", "Y", "--component", "Nope=major_outage")
    with pytest.raises(CommandError, match="not a component status"):
        _run("component", "Live update API", "on_fire")
    with pytest.raises(CommandError, match="no incident"):
        _run("resolve", "zzzzzzzzzzzz")
    assert not Incident.objects.exists()
