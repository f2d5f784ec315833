"""Demo data for the status page: Capgo's components, a resolved incident with its history, an
upcoming maintenance and the incident templates Capgo's team starts updates from.
Called by ``capdesk demo``; safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from capdesk.status import actions
from capdesk.status.models import Component, Incident, IncidentTemplate

# name, description, and the two in Indonesian (Capgo Build is a product name: not translated).
COMPONENTS = [
    (
        "Live update API",
        "Serves bundle checks and downloads to the updater plugin in your apps.",
        "API pembaruan langsung",
        "Melayani pemeriksaan dan unduhan bundle untuk plugin updater di aplikasi Anda.",
    ),
    (
        "Console",
        "console.capgo.app: apps, channels, organizations, members and API keys.",
        "Konsol",
        "console.capgo.app: aplikasi, kanal, organisasi, anggota, dan kunci API.",
    ),
    (
        "CLI and bundle upload",
        "@capgo/cli and the upload endpoint it uses.",
        "CLI dan unggahan bundle",
        "@capgo/cli dan endpoint unggahan yang dipakainya.",
    ),
    (
        "Capgo Build",
        "Native iOS and Android builds in the cloud.",
        "",
        "Build native iOS dan Android di cloud.",
    ),
    (
        "Analytics",
        "MAU, bandwidth, storage and device statistics.",
        "Analitik",
        "Statistik MAU, bandwidth, penyimpanan, dan perangkat.",
    ),
    ("Website", "capgo.app and its documentation.", "Situs web", "capgo.app dan dokumentasinya."),
]
# slug, name, status, title, body, impact, preselected components, their status.
TEMPLATES = [
    (
        "api-degraded-investigating",
        "Live update API degraded — investigating",
        "investigating",
        "Live update API degraded",
        "Bundle checks and downloads from the Live update API are slower than usual or failing for some "
        "devices since {started}. Apps keep running: the updater plugin gives up after a few seconds "
        "and starts the installed bundle. We are investigating.",
        "major",
        ["Live update API"],
        "degraded_performance",
    ),
    (
        "uploads-failing-identified",
        "Bundle uploads failing — identified",
        "identified",
        "Bundle uploads failing",
        "Uploads with @capgo/cli (bundle upload) fail since {started}. We have identified the cause and "
        "are working on a fix. Devices keep receiving the bundles already published.",
        "major",
        ["CLI and bundle upload"],
        "partial_outage",
    ),
    (
        "monitoring",
        "Monitoring a fix",
        "monitoring",
        "",
        "A fix has been deployed for {component} and we are monitoring the results.",
        "",
        [],
        "operational",
    ),
    (
        "resolved",
        "Resolved",
        "resolved",
        "",
        "This incident has been resolved: {component} is working normally again. "
        "Thank you for your patience.",
        "",
        [],
        "",
    ),
    (
        "maintenance-started",
        "Maintenance started",
        "in_progress",
        "",
        "Scheduled maintenance on {component} has started. We will post an update when it is complete.",
        "",
        [],
        "under_maintenance",
    ),
    (
        "maintenance-finished",
        "Maintenance finished",
        "completed",
        "",
        "The scheduled maintenance on {component} is complete and everything is working normally.",
        "",
        [],
        "",
    ),
]
PAST_INCIDENT = "Delayed bundle downloads in Asia"
MAINTENANCE = "Database upgrade"


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Create what is missing; returns how many components, incidents and maintenances were added."""
    now = timezone.now()
    since = now - timedelta(days=120)  # so every uptime bar has data
    added = {"components": 0, "incidents": 0, "maintenance": 0, "templates": 0}
    by_name = {c.name: c for c in Component.objects.all()}
    for name, description, name_id, description_id in COMPONENTS:
        indonesian = {"id": {"name": name_id, "description": description_id}}
        if name not in by_name:
            by_name[name] = actions.create_component(
                name=name, description=description, at=since, translations=indonesian
            )
            added["components"] += 1
        elif not by_name[name].translations:
            _translate(by_name[name], indonesian)  # a demo loaded before components had translations
    api, build = by_name["Live update API"], by_name["Capgo Build"]

    if not Incident.objects.filter(name=PAST_INCIDENT).exists():
        start = (now - timedelta(days=12)).replace(hour=3, minute=10, second=0, microsecond=0)
        incident = actions.open_incident(
            name=PAST_INCIDENT,
            body="Some devices in Asia wait several minutes for new bundles. We are investigating.",
            translations={
                "id": {
                    "name": "Unduhan bundle lambat di Asia",
                    "body": "Sebagian perangkat di Asia menunggu beberapa menit untuk bundle baru. "
                    "Kami sedang menyelidikinya.",
                }
            },
            impact="minor",
            components={api: "degraded_performance"},
            notify=False,
            at=start,
        )
        actions.post_incident_update(
            incident,
            status="identified",
            body="A CDN edge node in Singapore is serving slowly; traffic is being moved away from it.",
            translations={
                "id": {
                    "body": "Sebuah node CDN di Singapura melayani dengan lambat; lalu lintas sedang dipindahkan."
                }
            },
            components={api: "partial_outage"},
            notify=False,
            at=start + timedelta(minutes=25),
        )
        actions.post_incident_update(
            incident,
            status="monitoring",
            body="Traffic is back on healthy nodes and download times are normal. We are watching.",
            translations={
                "id": {
                    "body": "Lalu lintas kembali ke node yang sehat dan waktu unduhan normal. Kami terus memantau."
                }
            },
            components={api: "operational"},
            notify=False,
            at=start + timedelta(minutes=70),
        )
        actions.resolve_incident(
            incident,
            body="Bundle downloads have been normal for an hour. Apps kept running the whole time: "
            "the updater gives up after 3 seconds and starts the app normally.",
            translations={
                "id": {
                    "body": "Unduhan bundle sudah normal selama satu jam. Aplikasi tetap berjalan sepanjang "
                    "waktu: updater menyerah setelah 3 detik dan memulai aplikasi seperti biasa."
                }
            },
            notify=False,
            at=start + timedelta(minutes=130),
        )
        added["incidents"] += 1

    if not Incident.objects.filter(name=MAINTENANCE, kind=Incident.Kind.MAINTENANCE).exists():
        window = (now + timedelta(days=5)).replace(hour=1, minute=0, second=0, microsecond=0)
        actions.schedule_maintenance(
            name=MAINTENANCE,
            scheduled_for=window,
            scheduled_until=window + timedelta(hours=1),
            body="We are upgrading the main database. Bundle checks keep working; the Console and "
            "uploads may pause for a few minutes. Capgo Build jobs queued in the window start afterwards.",
            translations={
                "id": {
                    "name": "Peningkatan basis data",
                    "body": "Kami meningkatkan basis data utama. Pemeriksaan bundle tetap berjalan; Console dan "
                    "unggahan mungkin berhenti beberapa menit. Tugas Capgo Build yang mengantre di jendela "
                    "ini dimulai sesudahnya.",
                }
            },
            components=[by_name["Console"], by_name["CLI and bundle upload"], build],
            notify=False,
        )
        added["maintenance"] += 1
    added["templates"] = _load_templates(by_name)
    return added


def _translate(component: Component, translations: dict[str, dict[str, str]]) -> None:
    actions.edit_component(
        component,
        name=component.name,
        description=component.description,
        group=component.group,
        position=component.position,
        showcase=component.showcase,
        only_show_if_degraded=component.only_show_if_degraded,
        translations=translations,
    )


def _load_templates(by_name: dict[str, Component]) -> int:
    """Add the templates an admin has not created (or deleted) under the same slug."""
    added = 0
    existing = set(IncidentTemplate.objects.values_list("slug", flat=True))
    for position, row in enumerate(TEMPLATES):
        slug, name, status, title, body, impact, components, component_status = row
        if slug in existing:
            continue
        template = IncidentTemplate.objects.create(
            slug=slug,
            name=name,
            status=status,
            title=title,
            body=body,
            impact=impact,
            component_status=component_status,
            position=position,
        )
        template.components.set([by_name[c] for c in components if c in by_name])
        added += 1
    return added
