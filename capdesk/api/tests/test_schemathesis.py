"""The API keeps its OpenAPI contract under fuzzing: schemathesis against the WSGI app, every scope.

For each token scope, every operation of ``/api/openapi.json`` gets a fixed number of
generated requests (valid ones, invalid ones, and valid ones aimed at real rows: the
developer's ticket, the organization, the project, an open incident), deterministic
(``derandomize``) so CI sees the same requests every run. Each response must not be a
5xx, must use a documented status code and content type, and match its schema.
All failures are collected and reported together, so one run shows every gap.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from capdesk.api.actions import create_token
from capdesk.console import actions as console_actions
from capdesk.status import actions as status_actions
from capdesk.testing.factories import Personas, make_user
from capdesk.tickets import actions as ticket_actions
from capdesk.wsgi import application

# Per operation and scope: 27 operations x 5 scopes x 6 requests, about 50 ms each, is under a
# minute per database. CAPDESK_FUZZ_EXAMPLES=200 hunts harder locally; CI keeps the fixed default.
MAX_EXAMPLES = int(os.environ.get("CAPDESK_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCOPES = ("agent", "platform", "status_admin", "read_only", "customer")


@pytest.fixture
def wsgi_requests_in_the_test_transaction() -> Iterator[None]:
    """Requests share the test's transaction: Django's test client unhooks the same signal for that."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _token(scope: str, cast: Personas) -> str:
    if scope == "platform":
        return create_token(name="fuzz", scope="platform", user=make_user("capgo-platform")).plaintext
    if scope in ("read_only", "customer"):
        return create_token(name="fuzz", scope=scope, person=cast.developer).plaintext
    owner = cast.admin if scope == "status_admin" else cast.agent
    return create_token(name="fuzz", scope=scope, user=owner).plaintext


def _real_rows(cast: Any) -> dict[str, Any]:
    """Rows for the reads to find, so the fuzzer exercises serializers, not only 404s."""
    ticket = ticket_actions.open_ticket(
        subject="Fuzzed",
        body="Live update not applied",
        channel="portal",
        requester=cast.developer,
        requester_email=cast.developer.primary_email,
        project=cast.project,
    )
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Which bundle?")
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Internal", public=False)
    incident = status_actions.open_incident(name="Updates delayed", body="Investigating", user=cast.admin)
    macro = console_actions.save_macro(
        owner=cast.agent,
        title="Versions",
        body="Hello {name}, which version runs? {incident_url}",
        shared=True,
        translations={"id": {"title": "Versi", "body": "Halo {name}"}},
    )
    return {
        "reference": ticket.reference,
        "capgo_id": str(cast.org.capgo_id),
        "app_id": cast.project.app_id,
        "public_id": incident.public_id,
        "account_id": str(cast.developer.capgo_id),
        "macro_id": macro.pk,
    }


def _fuzz(operation: Any, real: dict[str, Any], headers: dict[str, str]) -> list[str]:
    """Run one operation's examples; the failures, described, or nothing."""
    path_names = {p.name for p in operation.path_parameters}
    aimed = operation.as_strategy(
        GenerationMode.POSITIVE, path_parameters={k: v for k, v in real.items() if k in path_names}
    )
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        aimed,
    )
    failures: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        # No shrinking: a failure is reported as generated, and the run stays bounded.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        if "account_id" in (case.query or {}) and case.query["account_id"] is None:
            case.query["account_id"] = real["account_id"]
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # collected, then reported all at once
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:1500])

    run()
    return failures


@pytest.mark.parametrize("scope", SCOPES)
def test_it_keeps_its_openapi_contract_under_fuzzing(
    scope: str, cast: Personas, settings: Any, wsgi_requests_in_the_test_transaction: None
) -> None:
    # The fuzzer sends hundreds of requests a minute with one token; the limit itself has its own tests.
    settings.CAPDESK_API_RATE_LIMIT_PER_MINUTE = 100_000
    real = _real_rows(cast)
    headers = {"Authorization": f"Bearer {_token(scope, cast)}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document does not load: {result}"
        operations += 1
        failures.extend(_fuzz(result.ok(), real, headers))
    assert operations >= 20, "the whole API is fuzzed"
    assert not failures, "\n\n".join(failures[:30]) + f"\n\n{len(failures)} failures"
