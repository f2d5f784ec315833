"""The permissions matrix: every URL and every API operation, asked by every persona.

Built from the URL configuration: ``test_every_url_and_api_operation_has_a_row`` walks
Django's resolver (and the API's operations in its OpenAPI document) and fails, naming
it, for any endpoint without an expectation row here. Add the row when you add a URL.

Each row says what each persona gets: a status code, or a redirect to a sign-in page.
Path parameters are filled with real objects made for the test (a ticket of the
developer, an incident, a magic link ...). Every answer is also checked for the
security headers, and answers to customers for data of a ticket that is not theirs
(the other organization's ticket, an internal note).

Personas (CONVENTIONS.md): anonymous; outsider (a developer of another organization);
reader (app_reader on the project); developer (app_developer on it, requester of the
ticket); billing_admin (org_billing_admin: billing rights, no app rights); agent
(staff); admin (superuser). For the API, where a session is not a credential, each
holds a token: customers a read_only token of their own, the agent an agent token, the
admin a read_only token (staff read-only); two more columns hold the platform and
status_admin scopes.

The Django admin is one family (its URLs are generated per registered model):
``test_every_admin_url_refuses_everyone_but_staff`` asks all of them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from capdesk.api.actions import create_token
from capdesk.console import actions as console_actions
from capdesk.intake.models import InboundRequest
from capdesk.portal.actions import user_for_person
from capdesk.portal.models import MagicLink
from capdesk.testing.factories import make_user, restrict
from capdesk.tickets import actions as ticket_actions

WEB_PERSONAS = ("anonymous", "outsider", "reader", "developer", "billing_admin", "agent", "admin")
API_PERSONAS = (*WEB_PERSONAS, "platform", "status_admin")
CUSTOMERS = ("outsider", "reader", "developer", "billing_admin")

# Strings that belong to one party only; seeing one where it does not belong is a leak.
ACME_MARK = "ACME-7c1f"  # the developer's ticket (Acme Apps)
OTHER_MARK = "OTHER-93ab"  # the outsider's ticket (Other Corp)
INTERNAL_MARK = "INTERNAL-55de"  # an agent's internal note on the developer's ticket
DRAFT_MARK = "DRAFT-1b9e"  # an unpublished knowledge-base article
MAY_NOT_SEE = {
    "anonymous": (ACME_MARK, OTHER_MARK, INTERNAL_MARK, DRAFT_MARK),
    "outsider": (ACME_MARK, INTERNAL_MARK, DRAFT_MARK),
    "reader": (ACME_MARK, OTHER_MARK, INTERNAL_MARK, DRAFT_MARK),
    "developer": (OTHER_MARK, INTERNAL_MARK, DRAFT_MARK),
    "billing_admin": (ACME_MARK, OTHER_MARK, INTERNAL_MARK, DRAFT_MARK),
    "platform": (DRAFT_MARK,),
    "status_admin": (ACME_MARK, OTHER_MARK, INTERNAL_MARK, DRAFT_MARK),
}

PORTAL_LOGIN = "302 /portal/sign-in/"
CONSOLE_LOGIN = "302 /console/login/"
ADMIN_LOGIN = "302 /admin/login/"


def everyone(answer: int | str, personas: tuple[str, ...] = WEB_PERSONAS) -> dict[str, int | str]:
    return dict.fromkeys(personas, answer)


def staff_only(staff: int | str, others: int | str = CONSOLE_LOGIN) -> dict[str, int | str]:
    """Console pages: non-staff are sent to the console's sign-in."""
    return {**everyone(others), "agent": staff, "admin": staff}


def portal(
    developer: int | str, others: int | str = 404, anonymous: int | str = PORTAL_LOGIN, staff: int | str = 302
) -> dict[str, int | str]:
    """Portal pages about the developer's ticket: only its requester gets it.

    Staff have no Capgo account, so the portal sends them to its sign-in as well.
    """
    return {
        "anonymous": anonymous,
        "outsider": others,
        "reader": others,
        "developer": developer,
        "billing_admin": others,
        "agent": staff,
        "admin": staff,
    }


def api(
    *,
    customers: int | str = 200,
    developer: int | str | None = None,
    agent: int | str = 200,
    admin: int | str | None = None,
    platform: int | str = 200,
    status_admin: int | str = 403,
    anonymous: int | str = 401,
) -> dict[str, int | str]:
    row = {p: customers for p in CUSTOMERS}
    if developer is not None:
        row["developer"] = developer
    return {
        **row,
        "anonymous": anonymous,
        "agent": agent,
        "admin": agent if admin is None else admin,
        "platform": platform,
        "status_admin": status_admin,
    }


@dataclass(frozen=True)
class Row:
    """What each persona gets from one URL pattern (or API operation) asked with one method."""

    key: str  # the resolver's route (web) or "METHOD /openapi/path" (API)
    method: str
    path: str  # with {placeholders} filled from the test's objects
    expect: dict[str, int | str]
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


R = Row
WEB_ROWS = [
    # Front door, health, language switch
    R("", "GET", "/", everyone(200)),
    R("healthz", "GET", "/healthz", everyone(200)),
    R("favicon.ico", "GET", "/favicon.ico", everyone(301)),
    R("i18n/setlang/", "POST", "/i18n/setlang/", everyone(302), {"language": "id", "next": "/"}),
    # Portal: customers' pages
    R("portal/", "GET", "/portal/", portal(developer=200, others=200)),
    R("portal/requests/", "GET", "/portal/requests/", portal(developer=200, others=200)),
    R("portal/requests/new/", "GET", "/portal/requests/new/", portal(developer=200, others=200)),
    R("portal/requests/<str:reference>/", "GET", "/portal/requests/{ticket}/", portal(developer=200)),
    R(
        "portal/requests/<str:reference>/attachments/<int:attachment_id>/",
        "GET",
        "/portal/requests/{ticket}/attachments/{attachment}/",
        portal(developer=200),
    ),
    R(
        "portal/requests/<str:reference>/",
        "GET",
        "/portal/requests/{other_ticket}/",
        {**portal(developer=404), "outsider": 200},
    ),
    R(
        "portal/requests/<str:reference>/reply/",
        "POST",
        "/portal/requests/{ticket}/reply/",
        # An empty reply: the page comes back with the form and its error (nothing is received).
        portal(developer=200),
        {"body": ""},
    ),
    # Only who manages the request copies people on it (test_copies.py has the copied persona).
    R(
        "portal/requests/<str:reference>/copied/",
        "POST",
        "/portal/requests/{ticket}/copied/",
        portal(developer=302),
        {"email": ""},
    ),
    R(
        "portal/requests/<str:reference>/copied/remove/",
        "POST",
        "/portal/requests/{ticket}/copied/remove/",
        portal(developer=302),
        {"email": "nobody@acme.test"},
    ),
    R("portal/premium/", "GET", "/portal/premium/", portal(developer=200, others=200)),
    # Emails waiting for the customer's confirmation (E3); acting on one that is not theirs
    # (here none) changes nothing and says it no longer waits (intake/tests/test_portal_waiting.py).
    R("portal/waiting/", "GET", "/portal/waiting/", portal(developer=200, others=200)),
    R(
        "portal/waiting/<int:pk>/confirm/",
        "POST",
        "/portal/waiting/{nothing}/confirm/",
        portal(developer="302 /portal/waiting/", others="302 /portal/waiting/"),
        {},
    ),
    R(
        "portal/waiting/<int:pk>/reject/",
        "POST",
        "/portal/waiting/{nothing}/reject/",
        portal(developer="302 /portal/waiting/", others="302 /portal/waiting/"),
        {},
    ),
    # Lifts only an address of the signed-in customer's own (test_suppressions.py).
    R("portal/email-again/", "POST", "/portal/email-again/", portal(developer=302, others=302), {}),
    R("portal/language/", "POST", "/portal/language/", portal(developer=302, others=302), {"language": "en"}),
    R(
        "portal/sign-in/",
        "GET",
        "/portal/sign-in/",
        {**portal(developer=302, others=302, anonymous=200), "agent": 200, "admin": 200},
    ),
    R("portal/sign-out/", "POST", "/portal/sign-out/", everyone(302)),
    # A magic link is a bearer secret: whoever holds it sees the sign-in button (GET never signs in).
    R("portal/magic/<str:token>/", "GET", "/portal/magic/{magic_token}/", everyone(200)),
    R("portal/sso/dashboard/", "GET", "/portal/sso/dashboard/?token=forged", everyone(403)),
    # Console: staff only
    # A signed-in agent goes to the queue; anyone else (customers too) gets the form.
    R(
        "console/login/",
        "GET",
        "/console/login/",
        {**everyone(200), "agent": "302 /console/", "admin": "302 /console/"},
    ),
    R("console/logout/", "POST", "/console/logout/", everyone(302)),
    R("console/", "GET", "/console/", staff_only(200)),
    R("console/tickets/<str:reference>/", "GET", "/console/tickets/{ticket}/", staff_only(200)),
    R(
        "console/tickets/<str:reference>/attachments/<int:attachment_id>/",
        "GET",
        "/console/tickets/{ticket}/attachments/{attachment}/",
        staff_only(200),
    ),
    R(
        "console/tickets/<str:reference>/reply/",
        "POST",
        "/console/tickets/{ticket}/reply/",
        staff_only(302),
        {"body": ""},
    ),
    R(
        "console/tickets/<str:reference>/status/",
        "POST",
        "/console/tickets/{ticket}/status/",
        staff_only(302),
        {"status": "open"},
    ),
    R(
        "console/tickets/<str:reference>/severity/",
        "POST",
        "/console/tickets/{ticket}/severity/",
        staff_only(302),
        {"severity": "high"},
    ),
    R("console/tickets/<str:reference>/take/", "POST", "/console/tickets/{ticket}/take/", staff_only(302)),
    R(
        "console/tickets/<str:reference>/emails/<int:email_id>/send-again/",
        "POST",
        "/console/tickets/{ticket}/emails/{answer_email}/send-again/",
        staff_only(302),
    ),
    R(
        "console/tickets/<str:reference>/copied/",
        "POST",
        "/console/tickets/{ticket}/copied/",
        staff_only(302),
        {"email": ""},
    ),
    R(
        "console/tickets/<str:reference>/copied/remove/",
        "POST",
        "/console/tickets/{ticket}/copied/remove/",
        staff_only(302),
        {"email": "nobody@acme.test"},
    ),
    R(
        "console/tickets/<str:reference>/email-again/",
        "POST",
        "/console/tickets/{ticket}/email-again/",
        staff_only(302),
    ),
    R(
        "console/tickets/<str:reference>/assign/",
        "POST",
        "/console/tickets/{ticket}/assign/",
        staff_only(302),
        {"assignee": ""},
    ),
    R(
        "console/tickets/<str:reference>/override/",
        "POST",
        "/console/tickets/{ticket}/override/",
        staff_only(302),
        {},
    ),
    # The audit log: admins only; an agent is signed in, so refused rather than sent to sign in
    R("console/audit/", "GET", "/console/audit/", {**staff_only(200), "agent": 403}),
    R("console/audit/export.csv", "GET", "/console/audit/export.csv", {**staff_only(200), "agent": 403}),
    R(
        "console/tickets/<str:reference>/merge/",
        "POST",
        "/console/tickets/{ticket}/merge/",
        staff_only(302),
        {},
    ),
    R(
        "console/tickets/<str:reference>/split/",
        "POST",
        "/console/tickets/{ticket}/split/",
        staff_only(302),
        {},
    ),
    # Held replies (E3): agents publish or discard a reply nobody proved
    R("console/held/", "GET", "/console/held/", staff_only(200)),
    R(
        "console/tickets/<str:reference>/held/<int:message_id>/publish/",
        "POST",
        "/console/tickets/{ticket}/held/{held_reply}/publish/",
        staff_only(302),
        {},
    ),
    R(
        "console/tickets/<str:reference>/held/<int:message_id>/discard/",
        "POST",
        "/console/tickets/{ticket}/held/{held_reply}/discard/",
        staff_only(302),
        {},
    ),
    # A held request's confirmation link, emailed again by an agent (none waits here: refused, said)
    R(
        "console/tickets/<str:reference>/confirmation/again/",
        "POST",
        "/console/tickets/{ticket}/confirmation/again/",
        staff_only(302),
        {},
    ),
    R("console/quarantine/", "GET", "/console/quarantine/", staff_only(200)),
    R("console/quarantine/<int:pk>/release/", "POST", "/console/quarantine/{held}/release/", staff_only(302)),
    # Only an email held for its attachments can be accepted without them: the others go back (302).
    R("console/quarantine/<int:pk>/accept/", "POST", "/console/quarantine/{held}/accept/", staff_only(302)),
    R("console/quarantine/<int:pk>/raw/", "GET", "/console/quarantine/{held}/raw/", staff_only(200)),
    R("console/quarantine/<int:pk>/discard/", "POST", "/console/quarantine/{held}/discard/", staff_only(302)),
    # The intake log: admins only, as the audit log (an agent is refused, not sent to sign in)
    R("console/intake/", "GET", "/console/intake/", {**staff_only(200), "agent": 403}),
    R(
        "console/intake/<int:pk>/raw/",
        "GET",
        "/console/intake/{held}/raw/",
        {**staff_only(200), "agent": 403},
    ),
    R("console/views/", "POST", "/console/views/", staff_only(302), {}),
    R("console/views/<int:pk>/delete/", "POST", "/console/views/{nothing}/delete/", staff_only(302)),
    R("console/bulk/", "POST", "/console/bulk/", staff_only(302), {}),
    R("console/rotations/", "GET", "/console/rotations/", staff_only(200)),
    R("console/away/", "POST", "/console/away/", staff_only(302), {}),
    R("console/rotations/<slug:slug>/", "POST", "/console/rotations/support/", staff_only(302)),
    R("console/incidents/", "GET", "/console/incidents/", staff_only(200)),
    # Running incidents takes the status permissions too (as in the admin): agents get 403.
    R("console/incidents/new/", "GET", "/console/incidents/new/", {**staff_only(200), "agent": 403}),
    R(
        "console/incidents/<str:public_id>/",
        "GET",
        "/console/incidents/{incident}/",
        {**staff_only(200), "agent": 403},
    ),
    R(
        "console/incidents/<str:public_id>/resolve/",
        "POST",
        "/console/incidents/{incident}/resolve/",
        {**staff_only(302), "agent": 403},
        {"body": ""},
    ),
    R(
        "console/tickets/<str:reference>/incident/",
        "POST",
        "/console/tickets/{ticket}/incident/",
        staff_only(302),
        {},
    ),
    R(
        "console/tickets/<str:reference>/macro/",
        "POST",
        "/console/tickets/{ticket}/macro/",
        staff_only(404),
        {},
    ),
    R(
        "console/tickets/<str:reference>/book-time/",
        "POST",
        "/console/tickets/{ticket}/book-time/",
        staff_only(302),
        {},
    ),
    R(
        "console/tickets/<str:reference>/presence/",
        "POST",
        "/console/tickets/{ticket}/presence/",
        staff_only(200),
    ),
    R("console/macros/", "GET", "/console/macros/", staff_only(200)),
    R(
        "console/macros/<int:pk>/delete/",
        "POST",
        "/console/macros/{nothing}/delete/",
        staff_only(404),  # none of theirs: nothing removed, nothing recorded
    ),
    R("console/reports/", "GET", "/console/reports/", staff_only(200)),
    R("console/reports/export.csv", "GET", "/console/reports/export.csv", staff_only(200)),
    # Knowledge base: public pages and suggestions; drafts and editing are staff only.
    R("kb/", "GET", "/kb/?q=rollback", everyone(200)),
    R("kb/suggest.json", "GET", "/kb/suggest.json?q=rollback", everyone(200)),
    R("kb/<slug:slug>/", "GET", "/kb/no-such-article/", everyone(404)),
    R("kb/<slug:slug>/edit/", "GET", "/kb/no-such-article/edit/", staff_only(404)),
    R(
        "kb/<slug:slug>/translations/<str:language>/",
        "GET",
        "/kb/no-such-article/translations/id/",
        staff_only(404),
    ),
    R("kb/draft/<int:pk>/", "POST", "/kb/draft/{nothing}/", staff_only(404)),
    # SLA reports: staff only
    R("console/sla/report/", "GET", "/console/sla/report/", staff_only(200)),
    R("console/sla/report.csv", "GET", "/console/sla/report.csv", staff_only(200)),
    R("console/sla/credits/", "GET", "/console/sla/credits/", staff_only(200)),
    R("console/sla/levels/", "GET", "/console/sla/levels/", staff_only(200)),
    R(
        "console/sla/levels/",
        "GET",
        "/console/sla/levels/?organization={org_pk}&severity=high",
        staff_only(200),
    ),
    # Knowledge base with real articles: a published one is public, a draft only for agents
    R("kb/", "GET", "/kb/", everyone(200)),
    R("kb/<slug:slug>/", "GET", "/kb/{article}/", everyone(200)),
    R("kb/<slug:slug>/", "GET", "/kb/{draft}/", {**everyone(404), "agent": 200, "admin": 200}),
    R("kb/<slug:slug>/edit/", "GET", "/kb/{article}/edit/", staff_only(200)),
    R(
        "kb/<slug:slug>/translations/<str:language>/",
        "GET",
        "/kb/{article}/translations/id/",
        staff_only(200),
    ),
    R(
        "kb/<slug:slug>/translations/<str:language>/",
        "GET",
        "/kb/{article}/translations/fr/",
        staff_only(404),
    ),
    R(
        "kb/<slug:slug>/translations/<str:language>/",
        "POST",
        "/kb/{article}/translations/id/",
        staff_only(302),
        {"title": "Judul", "body": "Isi"},
    ),
    R("kb/draft/<int:pk>/", "POST", "/kb/draft/{public_message}/", staff_only(302)),
    # Signed webhooks (secrets configured by the world fixture): unsigned posts are refused,
    # whoever's session comes with them. Confirmation links: a forged token is refused.
    R("hooks/capgo/", "POST", "/hooks/capgo/", everyone(400), {"type": "x"}),
    R("hooks/email/<slug:provider>/", "POST", "/hooks/email/postmark/", everyone(400), {}),
    R("hooks/email/<slug:provider>/tracking/", "POST", "/hooks/email/postmark/tracking/", everyone(400), {}),
    # A token no link has is not valid (404); a used, rejected or expired one is gone (410).
    R("confirm/<str:token>/", "GET", "/confirm/forged-token/", everyone(404)),
    # The public status page (M1, M2): the same for everyone
    R("status/", "GET", "/status/", everyone(200)),
    R("status/history/", "GET", "/status/history/", everyone(200)),
    R("status/incidents/<str:public_id>", "GET", "/status/incidents/{incident}", everyone(200)),
    R("status/subscribe/", "GET", "/status/subscribe/", everyone(200)),
    R("status/subscribe/sent/", "GET", "/status/subscribe/sent/", everyone(200)),
    R("status/subscribe/confirm/<str:token>/", "GET", "/status/subscribe/confirm/forged/", everyone(404)),
    R("status/unsubscribe/<str:token>/", "GET", "/status/unsubscribe/forged/", everyone(404)),
    # RFC 8058 one-click: a mail client's POST carries no session or CSRF token; a forged one is refused.
    R(
        "status/unsubscribe/<str:token>/",
        "POST",
        "/status/unsubscribe/forged/",
        everyone(404),
        {"List-Unsubscribe": "One-Click"},
    ),
    R("status.json", "GET", "/status.json", everyone(200)),
    R("history.atom", "GET", "/history.atom", everyone(200)),
    R("history.rss", "GET", "/history.rss", everyone(200)),
    R("maintenance.ics", "GET", "/maintenance.ics", everyone(200)),
    *[
        R(
            r"^api/v2/(?P<name>summary|status|components|incidents(?:/unresolved)?"
            r"|scheduled-maintenances(?:/upcoming|/active)?)\.json$",
            "GET",
            f"/api/v2/{name}.json",
            everyone(200),
        )
        for name in (
            "summary",
            "status",
            "components",
            "incidents",
            "incidents/unresolved",
            "scheduled-maintenances",
            "scheduled-maintenances/upcoming",
            "scheduled-maintenances/active",
        )
    ],
    # The API's own non-operation URLs
    R("api/openapi.json", "GET", "/api/openapi.json", everyone(200, API_PERSONAS)),
    R("api/", "GET", "/api/", everyone(404, API_PERSONAS)),
    R("api/^(?P<rest>.*)$", "GET", "/api/no/such/thing", everyone(404, API_PERSONAS)),
]

_NEW_TICKET = {"account_id": "{developer_id}", "subject": "Matrix", "body": "A question about my invoice."}
API_ROWS = [
    R("GET /api/me", "GET", "/api/me", api(status_admin=200)),
    # Tickets: customers see their own, staff every one, the platform as a named account
    R("GET /api/tickets", "GET", "/api/tickets", api(platform=422)),
    R(
        "POST /api/tickets",
        "POST",
        "/api/tickets",
        api(customers=403, agent=201, admin=403, platform=201),
        _NEW_TICKET,
    ),
    R(
        "GET /api/tickets/{reference}",
        "GET",
        "/api/tickets/{ticket}",
        api(customers=404, developer=200, platform=422),
    ),
    R(
        "GET /api/tickets/{reference}",
        "GET",
        "/api/tickets/{ticket}?account_id={developer_id}",
        api(customers=404, developer=200, platform=200),
    ),
    R(
        "POST /api/tickets/{reference}/replies",
        "POST",
        "/api/tickets/{ticket}/replies",
        api(customers=403, agent=201, admin=403, platform=403),
        {"body": "Hello"},
    ),
    # Copied people (CC): agent tokens on any ticket. Nobody is copied in this world, so the
    # agent's DELETE is a 404; test_copies_api.py has the 204 and the refusals.
    R(
        "POST /api/tickets/{reference}/copied",
        "POST",
        "/api/tickets/{ticket}/copied",
        api(customers=403, agent=200, admin=403, platform=403),
        {"emails": ["kim@acme.test"]},
    ),
    R(
        "DELETE /api/tickets/{reference}/copied/{email}",
        "DELETE",
        "/api/tickets/{ticket}/copied/kim@acme.test",
        api(customers=403, agent=404, admin=403, platform=403),
    ),
    R(
        "POST /api/tickets/{reference}/status",
        "POST",
        "/api/tickets/{ticket}/status",
        api(customers=403, admin=403, platform=403),
        {"status": "open"},
    ),
    # Held replies: agent tokens only
    R(
        "POST /api/tickets/{reference}/messages/{message_id}/publish",
        "POST",
        "/api/tickets/{ticket}/messages/{held_reply}/publish",
        api(customers=403, agent=200, admin=403, platform=403),
        {"reason": "confirmed by phone"},
    ),
    R(
        "POST /api/tickets/{reference}/messages/{message_id}/discard",
        "POST",
        "/api/tickets/{ticket}/messages/{held_reply}/discard",
        api(customers=403, agent=204, admin=403, platform=403),
        {"reason": "forged"},
    ),
    R(
        "GET /api/tickets/{reference}/messages",
        "GET",
        "/api/tickets/{ticket}/messages",
        api(customers=404, developer=200, platform=422),
    ),
    R(
        "GET /api/tickets/{reference}/decisions",
        "GET",
        "/api/tickets/{ticket}/decisions",
        api(customers=403, platform=403),
    ),
    # Agents' macros (test_macros_api.py): staff tokens read them and fill one in for a ticket
    # (nothing is sent); agent tokens write their own. The agent wrote the world's one.
    R("GET /api/macros", "GET", "/api/macros", api(customers=403, platform=403)),
    R("GET /api/macros/{macro_id}", "GET", "/api/macros/{macro}", api(customers=403, platform=403)),
    R(
        "POST /api/macros",
        "POST",
        "/api/macros",
        api(customers=403, agent=201, admin=403, platform=403),
        {"title": "Matrix", "body": "Hello {{name}}"},  # {{ }}: the row is filled by str.format
    ),
    R(
        "PATCH /api/macros/{macro_id}",
        "PATCH",
        "/api/macros/{macro}",
        api(customers=403, agent=200, admin=403, platform=403),
        {"title": "Matrix"},
    ),
    R(
        "DELETE /api/macros/{macro_id}",
        "DELETE",
        "/api/macros/{macro}",
        api(customers=403, agent=204, admin=403, platform=403),
    ),
    R(
        "GET /api/tickets/{reference}/macros/{macro_id}",
        "GET",
        "/api/tickets/{ticket}/macros/{macro}",
        api(customers=403, platform=403),
    ),
    # A customer's own requests: customer tokens (these read_only ones read, never reply); the
    # platform only with a signed identity (X-Capgo-Identity, test_customer_api.py); staff have /api/tickets
    R(
        "GET /api/customer/tickets",
        "GET",
        "/api/customer/tickets",
        api(agent=403, platform=401),
    ),
    R(
        "GET /api/customer/tickets/{reference}",
        "GET",
        "/api/customer/tickets/{ticket}",
        api(customers=404, developer=200, agent=403, platform=401),
    ),
    R(
        "GET /api/customer/tickets/{reference}/messages",
        "GET",
        "/api/customer/tickets/{ticket}/messages",
        api(customers=404, developer=200, agent=403, platform=401),
    ),
    R(
        "POST /api/customer/tickets/{reference}/replies",
        "POST",
        "/api/customer/tickets/{ticket}/replies",
        api(customers=403, agent=403, platform=401),
        {"body": "Hello"},
    ),
    # Customers copy colleagues with a customer token (these read_only ones may not); the
    # platform only with a signed identity (test_copies_api.py has the customer tokens)
    R(
        "POST /api/customer/tickets/{reference}/copied",
        "POST",
        "/api/customer/tickets/{ticket}/copied",
        api(customers=403, agent=403, platform=401),
        {"emails": ["kim@acme.test"]},
    ),
    R(
        "DELETE /api/customer/tickets/{reference}/copied/{email}",
        "DELETE",
        "/api/customer/tickets/{ticket}/copied/kim@acme.test",
        api(customers=403, agent=403, platform=401),
    ),
    # Directory: read (customers their own rows), written by the platform only
    R("GET /api/directory/organizations", "GET", "/api/directory/organizations", api()),
    R(
        "GET /api/directory/organizations/{capgo_id}",
        "GET",
        "/api/directory/organizations/{org_id}",
        {**api(), "outsider": 404},
    ),
    R(
        "PUT /api/directory/organizations/{capgo_id}",
        "PUT",
        "/api/directory/organizations/{org_id}",
        api(customers=403, agent=403),
        {"name": "Acme Apps"},
    ),
    R("GET /api/directory/people", "GET", "/api/directory/people", api()),
    R(
        "GET /api/directory/people/{capgo_id}",
        "GET",
        "/api/directory/people/{developer_id}",
        api(customers=404, developer=200),
    ),
    R(
        "PUT /api/directory/people/{capgo_id}",
        "PUT",
        "/api/directory/people/{developer_id}",
        api(customers=403, agent=403),
        {"name": "Dewi Developer"},
    ),
    R("GET /api/directory/projects", "GET", "/api/directory/projects", api()),
    R(
        "GET /api/directory/projects/{app_id}",
        "GET",
        "/api/directory/projects/com.acme.shop",
        {**api(), "outsider": 404},
    ),
    R(
        "PUT /api/directory/projects/{app_id}",
        "PUT",
        "/api/directory/projects/com.acme.shop",
        api(customers=403, agent=403),
        {"organization": "{org_id}"},
    ),
    R("GET /api/directory/bindings", "GET", "/api/directory/bindings", api()),
    R(
        "PUT /api/directory/bindings",
        "PUT",
        "/api/directory/bindings",
        api(customers=403, agent=403),
        {
            "person": "{developer_id}",
            "organization": "{org_id}",
            "project": "com.acme.shop",
            "role": "app_developer",
        },
    ),
    R(
        "DELETE /api/directory/bindings",
        "DELETE",
        "/api/directory/bindings?person={outsider_id}&organization={other_org_id}",
        api(customers=403, agent=403),
    ),
    # Status page: incidents are public to any token; only status_admin runs them
    R("GET /api/status/incidents", "GET", "/api/status/incidents", api(status_admin=200)),
    R(
        "POST /api/status/incidents",
        "POST",
        "/api/status/incidents",
        api(customers=403, agent=403, platform=403, status_admin=201),
        {"name": "Matrix outage", "body": "Investigating"},
    ),
    R(
        "POST /api/status/incidents/{public_id}/updates",
        "POST",
        "/api/status/incidents/{incident}/updates",
        api(customers=403, agent=403, platform=403, status_admin=201),
        {"status": "identified", "body": "Found it"},
    ),
    R(
        "POST /api/status/incidents/{public_id}/resolve",
        "POST",
        "/api/status/incidents/{incident}/resolve",
        api(customers=403, agent=403, platform=403, status_admin=200),
        {},
    ),
]


# Walking the URL configuration --------------------------------------------------------


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def _routes() -> set[str]:
    return {route for route in _walk(get_resolver().url_patterns) if not route.startswith("admin/")}


def _api_operations(client: Client) -> set[str]:
    document = client.get("/api/openapi.json").json()
    return {f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops}


def _as_openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_url_and_api_operation_has_a_row(client):
    """A new endpoint without its row fails here: add what each persona should get."""
    web_keys = {row.key for row in WEB_ROWS}
    api_keys = {row.key for row in API_ROWS}
    operations = _api_operations(client)
    operation_paths = {op.split(" ", 1)[1] for op in operations}
    missing_web = sorted(
        route
        for route in _routes()
        if route not in web_keys and _as_openapi_path(route) not in operation_paths
    )
    missing_api = sorted(operations - api_keys)
    assert not missing_web and not missing_api, (
        "endpoints without a row in the permissions matrix (capdesk/core/tests/test_permissions_matrix.py):\n"
        + "\n".join(
            [
                *(f"  URL pattern {r!r}: add a WEB_ROWS entry" for r in missing_web),
                *(f"  API operation {o!r}: add an API_ROWS entry" for o in missing_api),
            ]
        )
    )


# Asking --------------------------------------------------------------------------------


@dataclass
class World:
    values: dict[str, str]
    clients: dict[str, Client]

    def fill(self, text: str) -> str:
        return text.format(**self.values)


def _fill(value: Any, world: World) -> Any:
    if isinstance(value, str):
        return world.fill(value)
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


@pytest.fixture
def world(cast, settings):
    from capdesk.status import actions as status_actions

    settings.CAPGO_WEBHOOK_SECRET = "whsec_" + "bWF0cml4LXNlY3JldC1rZXktMzItYnl0ZXMtbG9uZyE="
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "capdesk:matrix-secret"}

    ticket = ticket_actions.open_ticket(
        subject=f"{ACME_MARK} rollback",
        body="How do I roll back?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
        files=[ticket_actions.IncomingFile("device.log", "text/plain", b"[CapacitorUpdater] ok")],
    )
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body=f"{INTERNAL_MARK} check plan", public=False)
    # A reply in the developer's name nobody proved (E3): agents only, like an internal note.
    held_reply = ticket_actions.hold_customer_reply(
        ticket,
        body=f"{INTERNAL_MARK} held reply",
        person=cast.developer,
        author_email="dewi@acme.test",
        body_html=f"<p>{INTERNAL_MARK} held reply</p>",
        files=[],
        source_id=None,
        message_id="<held@mail.acme.test>",
        cites=[],
    )
    answer = ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Run `npx @capgo/cli bundle list`.")
    other = ticket_actions.open_ticket(
        subject=f"{OTHER_MARK} crash",
        body="Our app crashes",
        channel="portal",
        requester=cast.outsider,
        requester_email="omar@other.test",
        project=cast.other_project,
    )
    from capdesk.knowledge.models import Article

    Article.objects.create(slug="rollback-guide", title="Rolling back", body_md="x", body_html="<p>x</p>")
    Article.objects.create(
        slug="draft-notes", title=DRAFT_MARK, body_md="x", body_html="<p>x</p>", status="draft"
    )
    magic = "matrix-magic-token"
    MagicLink.objects.create(
        person=cast.developer,
        email="dewi@acme.test",
        token_hash=hashlib.sha256(magic.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(minutes=10),
    )
    held = InboundRequest.objects.create(
        channel="email", idempotency_key="held", raw=b"x", state="quarantined"
    )
    incident = status_actions.open_incident(name="Updates delayed", body="Investigating", notify=False)
    macro = console_actions.save_macro(owner=cast.agent, title="Matrix", body="Hi {name}", shared=True)
    values = {
        "ticket": ticket.reference,
        "other_ticket": other.reference,
        "magic_token": magic,
        "held": str(held.pk),
        "held_reply": str(held_reply.pk),
        "nothing": "999999",
        "article": "rollback-guide",
        "draft": "draft-notes",
        "public_message": str(answer.pk),
        "answer_email": str(ticket.outbound_emails.filter(kind="agent_reply").get().pk),
        "attachment": str(ticket.messages.get(author_kind="customer", held=False).attachments.get().pk),
        "incident": incident.public_id,
        "macro": str(macro.pk),
        "developer_id": str(cast.developer.capgo_id),
        "outsider_id": str(cast.outsider.capgo_id),
        "org_id": str(cast.org.capgo_id),
        "org_pk": str(cast.org.pk),  # the SLA calculator's organization field
        "other_org_id": str(cast.other_project.organization.capgo_id),
    }
    return World(values=values, clients=_clients(cast))


def _clients(cast):
    clients = {name: Client() for name in API_PERSONAS}
    for name in CUSTOMERS:
        clients[name].force_login(user_for_person(getattr(cast, name)))
    clients["agent"].force_login(cast.agent)
    clients["admin"].force_login(cast.admin)
    tokens = {
        name: create_token(name=name, scope="read_only", person=getattr(cast, name)) for name in CUSTOMERS
    }
    tokens["agent"] = create_token(name="agent", scope="agent", user=cast.agent)
    tokens["admin"] = create_token(name="admin", scope="read_only", user=cast.admin)
    tokens["platform"] = create_token(name="platform", scope="platform", user=make_user("platform"))
    tokens["status_admin"] = create_token(name="status", scope="status_admin", user=make_user("status"))
    for name, issued in tokens.items():
        clients[name].defaults["HTTP_AUTHORIZATION"] = f"Bearer {issued.plaintext}"
    return clients


def _outcome(response: Any) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} {response['Location']}"
    return str(response.status_code)


def _matches(expected: int | str, response: Any) -> bool:
    if isinstance(expected, int):
        return bool(response.status_code == expected)
    status, _, target = expected.partition(" ")
    return bool(response.status_code == int(status) and response.get("Location", "").startswith(target))


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _ask(row: Row, world: World, personas: tuple[str, ...]) -> None:
    path, data = world.fill(row.path), _fill(row.data, world)
    wrong, leaks = [], []
    for persona in personas:
        client = world.clients[persona]
        # Each persona asks the same world: what one changed (released, deleted) is rolled back.
        with transaction.atomic():
            response = _request(client, row, path, data)
            transaction.set_rollback(True)
        if not _matches(row.expect[persona], response):
            wrong.append(f"{persona}: expected {row.expect[persona]}, got {_outcome(response)}")
        for header, value in SECURITY_HEADERS.items():
            assert response.get(header) == value, (
                f"{row.id} as {persona}: {header} is {response.get(header)!r}"
            )
        assert "Content-Security-Policy" in response, f"{row.id} as {persona}: no Content-Security-Policy"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        leaks += [f"{persona} sees {m}" for m in MAY_NOT_SEE.get(persona, ()) if m.encode() in body]
    assert not wrong, f"{row.id}:\n  " + "\n  ".join(wrong)
    assert not leaks, f"{row.id} leaks:\n  " + "\n  ".join(leaks)


def _request(client: Client, row: Row, path: str, data: dict[str, Any]) -> Any:
    if row.method == "GET":
        return client.get(path)
    if path.startswith("/api/"):
        return client.generic(row.method, path, data=json.dumps(data), content_type="application/json")
    return client.post(path, data)


def _skip_if_gone(row: Row, keys: set[str]) -> None:
    if row.key not in keys:
        pytest.skip(f"{row.key!r} is no longer in the URL configuration; remove its row")


@pytest.mark.parametrize("row", WEB_ROWS, ids=lambda r: r.id)
def test_each_url_answers_each_persona_as_its_row_says(row, world):
    _skip_if_gone(row, _routes())
    _ask(row, world, API_PERSONAS if row.key.startswith("api/") else WEB_PERSONAS)


@pytest.mark.parametrize("row", API_ROWS, ids=lambda r: r.id)
def test_each_api_operation_answers_each_token_as_its_row_says(row, world, client):
    _skip_if_gone(row, _api_operations(client))
    _ask(row, world, API_PERSONAS)


# An agent restricted to queues -------------------------------------------------------
#
# Not a column of every row: restricted or not, an agent reaches the same URLs. What
# changes is which tickets they find, so each URL about a ticket is asked about the
# developer's (in the Support queue) by an agent restricted to Sales, and by one restricted
# to no queue at all (who sees no ticket, not every ticket), in the console and with their
# agent token, and every agent page and listing is read for the marks of tickets outside Sales.

OUTSIDE_SALES = (ACME_MARK, OTHER_MARK, INTERNAL_MARK)
ABOUT_A_TICKET = [
    r
    for r in (*WEB_ROWS, *API_ROWS)
    # A draft article is made from a public reply on the developer's ticket.
    if r.path.startswith(("/console/tickets/{ticket}", "/api/tickets/{ticket}", "/kb/draft/{public_message}"))
]
LISTINGS = [
    r
    for r in (*WEB_ROWS, *API_ROWS)
    if r.method == "GET" and r.path.startswith(("/console/", "/api/tickets", "/sla/")) and "{" not in r.path
]


@pytest.fixture(params=["sales", "no queue"])
def sales_agent(world, request):
    """An agent restricted to Sales, or restricted to no queue: a console and an API client as them."""
    from capdesk.tickets.models import Queue

    martin = make_user("martin", staff=True)
    assert isinstance(martin, User)
    sales = Queue.objects.create(slug="sales", name="Sales")
    restrict(martin, *([sales] if request.param == "sales" else []))
    console, api_client = Client(), Client()
    console.force_login(martin)
    token = create_token(name="martin", scope="agent", user=martin)
    api_client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.plaintext}"
    return console, api_client


def _ask_as(clients: tuple[Client, Client], row: Row, world: World) -> Any:
    console, api_client = clients
    path = world.fill(row.path)
    with transaction.atomic():
        response = _request(
            api_client if path.startswith("/api/") else console, row, path, _fill(row.data, world)
        )
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("row", ABOUT_A_TICKET, ids=lambda r: r.id)
def test_an_agent_restricted_to_other_queues_finds_no_ticket_outside_them(row, world, sales_agent):
    response = _ask_as(sales_agent, row, world)
    assert response.status_code == 404, f"{row.id}: {_outcome(response)}"


@pytest.mark.parametrize("row", LISTINGS, ids=lambda r: r.id)
def test_an_agent_restricted_to_other_queues_reads_nothing_of_them_in_a_listing(row, world, sales_agent):
    response = _ask_as(sales_agent, row, world)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert not [m for m in OUTSIDE_SALES if m.encode() in body], (
        f"{row.id} leaks to an agent restricted to Sales"
    )


# The admin family ----------------------------------------------------------------------


def _admin_urls() -> Iterator[tuple[str, str]]:
    """Every admin URL, named and with its parameters filled where a value is known."""
    from django.contrib import admin

    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    resolver = get_resolver()
    for route in _walk(resolver.url_patterns):
        if route.startswith("admin/"):
            yield route, _admin_path(route, app_labels)


def _admin_path(route: str, app_labels: list[str]) -> str:
    path = "/" + route.lstrip("^").rstrip("$")
    path = re.sub(r"\(\?P<app_label>[^)]*\)", app_labels[0], path)
    path = re.sub(r"<path:object_id>|<object_id>|<int:[a-z_]+>|<[a-z_:]*id[a-z_]*>", "1", path)
    path = re.sub(r"<[^>]+>", "x", path)
    return path.replace("\\", "")


def test_every_admin_url_refuses_everyone_but_staff(cast):
    """Anonymous visitors and customers are sent to the admin's sign-in from every admin URL."""
    assert reverse("admin:index") == "/admin/"
    clients = {"anonymous": Client()}
    for name in CUSTOMERS:
        clients[name] = Client()
        clients[name].force_login(user_for_person(getattr(cast, name)))
    urls = list(_admin_urls())
    assert len(urls) > 20, "the admin's URLs were not found"
    wrong = []
    for route, path in urls:
        if route.startswith("admin/login/") or route.startswith("admin/logout/"):
            continue
        for persona, client in clients.items():
            response = client.get(path)
            if not (response.status_code == 302 and response["Location"].startswith("/admin/login/")):
                wrong.append(f"{path} ({route}) as {persona}: {_outcome(response)}")
    assert not wrong, "admin URLs reachable without staff rights:\n  " + "\n  ".join(wrong)


def test_staff_without_rights_reach_the_admin_index_but_no_model(cast):
    client = Client()
    client.force_login(cast.agent)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/api/apitoken/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403
