"""Start-up refuses an SLA policy that names statuses the tickets do not have."""

from __future__ import annotations

from dataclasses import replace

from django.core.management import call_command

from capdesk.sla.checks import problems_with_tickets
from capdesk.sla.policies import capgo_sla


def test_it_accepts_the_shipped_policy() -> None:
    assert problems_with_tickets(capgo_sla()) == []
    call_command("check", "--fail-level", "ERROR", verbosity=0)


def test_it_names_a_pause_status_the_tickets_do_not_have() -> None:
    config = replace(capgo_sla(), pause_statuses=frozenset({"pending", "waiting"}))
    (problem,) = problems_with_tickets(config)
    assert problem.startswith("service_levels.pause_statuses: 'waiting' is not a ticket status")
