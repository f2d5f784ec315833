"""The console's top navigation, and how the audit log shows an entry without details."""

from __future__ import annotations

from django.test import Client

from capdesk.core import audit
from capdesk.core.models import ActorKind


def _nav(client: Client) -> str:
    html = client.get("/console/").content.decode()
    return html[html.index("<nav") : html.index("</nav>")]


def test_it_shows_agents_the_rotations_but_not_the_audit_log(client: Client, cast) -> None:
    client.force_login(cast.agent)
    nav = _nav(client)
    assert 'href="/console/rotations/">Rotations</a>' in nav
    assert "/console/audit/" not in nav


def test_it_shows_admins_the_audit_log(client: Client, cast) -> None:
    client.force_login(cast.admin)
    assert 'href="/console/audit/">Audit log</a>' in _nav(client)


def test_it_shows_a_dash_for_an_audit_entry_without_details(client: Client, cast) -> None:
    audit.record(audit.Action.CONSOLE_SIGN_IN, actor_kind=ActorKind.STAFF, label="quiet-one")
    client.force_login(cast.admin)
    html = client.get("/console/audit/").content.decode()
    row = html[html.index("quiet-one") :]
    row = row[: row.index("</tr>")]
    assert "<code>{}</code>" not in row
    assert '<span class="muted">—</span>' in row
