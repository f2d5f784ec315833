"""`capdesk status`: read the page and post incidents from the command line (admins, scripts).

    capdesk status summary [--json]
    capdesk status open --name "Uploads failing" --body "Investigating." --impact major \\
        --component "CLI and bundle upload=partial_outage"
    capdesk status update <incident id> --status identified --body "A bad deploy."
    capdesk status resolve <incident id> [--body "..."]
    capdesk status component "Live update API" degraded_performance
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from capdesk.status import actions, v2
from capdesk.status.models import Component, Incident


def _components(pairs: list[str]) -> dict[Component, str]:
    chosen: dict[Component, str] = {}
    for pair in pairs:
        name, sep, status = pair.rpartition("=")
        if not sep:
            raise CommandError(f"--component takes NAME=STATUS, got {pair!r}")
        component = Component.objects.filter(name__iexact=name.strip()).first()
        if component is None:
            raise CommandError(f"no component named {name.strip()!r}")
        chosen[component] = status.strip()
    return chosen


def _incident(public_id: str) -> Incident:
    incident = Incident.objects.filter(public_id=public_id).first()
    if incident is None:
        raise CommandError(f"no incident {public_id!r}")
    return incident


class Command(BaseCommand):
    help = "Show the status page, or open, update and resolve incidents."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        summary = sub.add_parser("summary", help="The overall status, components and open incidents.")
        summary.add_argument("--json", action="store_true", help="Print /api/v2/summary.json instead.")
        opened = sub.add_parser("open", help="Open an incident.")
        opened.add_argument("--name", required=True)
        opened.add_argument("--body", required=True)
        opened.add_argument("--impact", default="minor")
        opened.add_argument("--status", default="investigating")
        opened.add_argument("--component", action="append", default=[], metavar="NAME=STATUS")
        update = sub.add_parser("update", help="Post an update on an incident or maintenance.")
        update.add_argument("incident")
        update.add_argument("--status", required=True)
        update.add_argument("--body", required=True)
        update.add_argument("--component", action="append", default=[], metavar="NAME=STATUS")
        resolve = sub.add_parser(
            "resolve", help="Resolve an incident (its components go back to operational)."
        )
        resolve.add_argument("incident")
        resolve.add_argument("--body", default="")
        component = sub.add_parser("component", help="Set one component's status outside any incident.")
        component.add_argument("name")
        component.add_argument("component_status")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except actions.StatusError as exc:
            raise CommandError(str(exc)) from None

    def _summary(self, options: dict[str, Any]) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(v2.summary_doc(strict=False), indent=2))
            return
        state = v2.overall(strict=False)
        self.stdout.write(f"{state.description} ({state.indicator})")
        for component in Component.objects.all():
            self.stdout.write(f"  {component.name}: {component.status}")
        for incident in v2.unresolved_incidents():
            self.stdout.write(
                f"  incident {incident.public_id} [{incident.impact}, {incident.status}] {incident.name}"
            )

    def _open(self, options: dict[str, Any]) -> None:
        incident = actions.open_incident(
            name=options["name"],
            body=options["body"],
            impact=options["impact"],
            status=options["status"],
            components=_components(options["component"]),
        )
        self.stdout.write(incident.public_id)

    def _update(self, options: dict[str, Any]) -> None:
        incident = _incident(options["incident"])
        actions.post_incident_update(
            incident,
            status=options["status"],
            body=options["body"],
            components=_components(options["component"]),
        )
        self.stdout.write(f"{incident.public_id} {incident.status}")

    def _resolve(self, options: dict[str, Any]) -> None:
        incident = _incident(options["incident"])
        actions.resolve_incident(incident, body=options["body"])
        self.stdout.write(f"{incident.public_id} resolved")

    def _component(self, options: dict[str, Any]) -> None:
        (component,) = _components([f"{options['name']}={options['component_status']}"])
        actions.set_component_status(component, options["component_status"])
        self.stdout.write(f"{component.name}: {options['component_status']}")
