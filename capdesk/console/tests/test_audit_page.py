"""/console/audit/: admins read, filter, page through and export the audit log; nobody else does."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from capdesk.core import audit
from capdesk.core.models import ActorKind
from capdesk.portal.actions import user_for_person


def _entry(action, label, **kw):
    return audit.record(action, actor_kind=ActorKind.STAFF, label=label, **kw)


@pytest.mark.parametrize("page", ["/console/audit/", "/console/audit/export.csv"])
def test_only_admins_reach_the_audit_log(client, cast, page):
    assert client.get(page).status_code == 302  # anonymous: to the sign-in
    client.force_login(user_for_person(cast.developer))
    assert client.get(page)["Location"].startswith("/console/login/")
    client.force_login(cast.agent)
    assert client.get(page).status_code == 403
    client.force_login(cast.admin)
    assert client.get(page).status_code == 200


def test_it_filters_by_actor_action_and_days(client, cast):
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False):
        _entry(audit.Action.CONSOLE_SIGN_IN, "early-bird")
    with time_machine.travel(datetime(2026, 3, 3, 12, tzinfo=UTC), tick=False):
        _entry(audit.Action.CONSOLE_SIGN_IN, "late-owl")
        _entry(audit.Action.API_TOKEN_CREATED, "late-owl")
    client.force_login(cast.admin)

    def shown(**query):
        page = client.get("/console/audit/", query).content.decode()
        return sorted(
            (label, action)
            for label in ("early-bird", "late-owl")
            for action in ("console.sign_in", "api.token_created")
            if f"{label} <span" in page and f"<td>{action}</td>" in page
        )

    assert shown(actor="OWL", action="api.token_created") == [("late-owl", "api.token_created")]
    assert shown(since="2026-03-01", until="2026-03-01") == [("early-bird", "console.sign_in")]
    # A value that does not parse is ignored, not an error.
    assert client.get("/console/audit/", {"since": "yesterday", "action": "<script>"}).status_code == 200


def test_it_pages_fifty_entries_at_a_time(client, cast):
    for n in range(51):
        _entry(audit.Action.CONSOLE_SIGN_IN, f"user-{n:02d}")
    client.force_login(cast.admin)
    first = client.get("/console/audit/").content.decode()
    assert "user-50" in first and "user-00" not in first
    assert "Page 1 of 2" in first
    assert "user-00" in client.get("/console/audit/", {"page": 2}).content.decode()


def test_it_exports_the_filtered_entries_as_csv_with_formulas_defused(client, cast):
    _entry(audit.Action.CONSOLE_SIGN_IN_FAILED, '=HYPERLINK("http://evil")')
    _entry(audit.Action.CONSOLE_SIGN_IN, "admin", target_type="person", target_id="42")
    client.force_login(cast.admin)
    response = client.get("/console/audit/export.csv", {"action": "console.sign_in_failed"})
    assert response["Content-Disposition"] == 'attachment; filename="capdesk-audit.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["time", "actor_kind", "actor", "action"]
    assert len(rows) == 2
    assert rows[1][2] == '\'=HYPERLINK("http://evil")'
    assert rows[1][3] == "console.sign_in_failed"
