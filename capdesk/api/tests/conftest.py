"""Tokens for the personas, and a client that sends them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from capdesk.api.actions import create_token
from capdesk.testing.factories import Personas, make_user
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Ticket


@dataclass
class Tokens:
    agent: str
    platform: str
    status_admin: str
    staff_reader: str  # read_only, owned by the agent
    developer: str  # read_only, owned by the customer
    outsider: str  # read_only, owned by the other organization's developer


@pytest.fixture
def tokens(cast: Personas) -> Tokens:
    platform_user = make_user("capgo-platform")
    return Tokens(
        agent=create_token(name="agent", scope="agent", user=cast.agent).plaintext,
        platform=create_token(name="platform", scope="platform", user=platform_user).plaintext,
        status_admin=create_token(name="status", scope="status_admin", user=cast.admin).plaintext,
        staff_reader=create_token(name="report", scope="read_only", user=cast.agent).plaintext,
        developer=create_token(name="mine", scope="read_only", person=cast.developer).plaintext,
        outsider=create_token(name="theirs", scope="read_only", person=cast.outsider).plaintext,
    )


class Api:
    """Calls /api/ with a bearer token; JSON in, the response out."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None, body: Any = None, **headers: str) -> Any:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body) if body is not None else None
        return self.client.generic(
            method, f"/api{path}", data=data or "", content_type="application/json", headers=headers
        )

    def get(self, path: str, token: str | None, **headers: str) -> Any:
        return self.call("GET", path, token, **headers)

    def post(self, path: str, token: str | None, body: Any, **headers: str) -> Any:
        return self.call("POST", path, token, body, **headers)

    def put(self, path: str, token: str | None, body: Any, **headers: str) -> Any:
        return self.call("PUT", path, token, body, **headers)

    def delete(self, path: str, token: str | None, **headers: str) -> Any:
        return self.call("DELETE", path, token, **headers)


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The one error shape, with this status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def open_ticket_for(person: Any, project: Any, subject: str) -> Ticket:
    """A portal ticket of ``person`` on ``project``, opened directly (no intake)."""
    return ticket_actions.open_ticket(
        subject=subject,
        body=f"{subject}: details",
        channel="portal",
        requester=person,
        requester_email=person.primary_email,
        project=project,
    )


@pytest.fixture
def tickets_of_both_orgs(cast: Personas) -> tuple[Ticket, Ticket]:
    """One ticket in the developer's organization, with an internal note, and one in the other organization."""
    mine = open_ticket_for(cast.developer, cast.project, "Acme rollback")
    theirs = open_ticket_for(cast.outsider, cast.other_project, "Other Corp secret")
    assert isinstance(cast.agent, User)
    ticket_actions.reply_as_agent(mine, agent=cast.agent, body="INTERNAL: check their plan", public=False)
    return mine, theirs
