"""`capdesk demo`: load Capgo-like demo customers, agents and a few requests. Safe to run twice."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from capdesk.directory.models import EmailAddress, Organization, Person, Project, RoleBinding
from capdesk.env import env_str
from capdesk.intake import actions as intake
from capdesk.intake.web_channel import encode_payload
from capdesk.knowledge.demo import load_demo as load_knowledge_demo
from capdesk.status.demo import load_demo as load_status_demo
from capdesk.tickets.models import Queue

NAMESPACE = uuid.UUID("6f1c2f3e-2a4b-4c1d-9e55-0c0ffee0d35c")

ORGS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    # name, plan, status, timezone, extras
    ("Kopi Nusantara", "team", "active", "Asia/Jakarta", {}),
    (
        "Globex Mobile",
        "enterprise",
        "active",
        "Europe/Paris",
        {"premium_support": True, "priority_plus": True},
    ),
    ("Tiny Trial Apps", "solo", "trialing", "America/New_York", {}),
    ("Maker Credits Co", "maker", "canceled", "Asia/Singapore", {"credits_balance": Decimal("50")}),
]
PROJECTS = [
    ("com.kopinusantara.app", "Kopi Nusantara", "Kopi Nusantara"),
    ("com.kopinusantara.kasir", "Kasir Kopi", "Kopi Nusantara"),
    ("com.globex.field", "Globex Field", "Globex Mobile"),
    ("com.globex.shop", "Globex Shop", "Globex Mobile"),
    ("com.tinytrial.todo", "Todo Trial", "Tiny Trial Apps"),
    ("com.makercredits.scan", "Scan It", "Maker Credits Co"),
]
PEOPLE: list[tuple[str, str, str, list[tuple[str, str, str | None]]]] = [
    # name, email, language, [(role, org, app_id or None)]
    (
        "Dewi Santoso",
        "dewi@kopinusantara.id",
        "id",
        [("app_developer", "Kopi Nusantara", "com.kopinusantara.app")],
    ),
    (
        "Rudi Hartono",
        "rudi@kopinusantara.id",
        "id",
        [("app_reader", "Kopi Nusantara", "com.kopinusantara.app")],
    ),
    ("Sari Wijaya", "sari@kopinusantara.id", "id", [("org_super_admin", "Kopi Nusantara", None)]),
    ("Bima Pratama", "finance@kopinusantara.id", "id", [("org_billing_admin", "Kopi Nusantara", None)]),
    ("Claire Martin", "claire@globex.example", "en", [("org_admin", "Globex Mobile", None)]),
    ("Hiro Tanaka", "hiro@globex.example", "en", [("app_developer", "Globex Mobile", "com.globex.field")]),
    ("Tom Trial", "tom@tinytrial.example", "en", [("org_super_admin", "Tiny Trial Apps", None)]),
    ("Mei Lin", "mei@makercredits.example", "en", [("write", "Maker Credits Co", None)]),
]
REQUESTS = [
    (
        "dewi@kopinusantara.id",
        "com.kopinusantara.app",
        "high",
        "Update tidak pernah terunduh di Android",
        "Halo kak, sudah ikuti quickstart tapi bundle baru tidak pernah terunduh.\n\n```\n"
        "[CapacitorUpdater] No new version available\n```\n\nnotifyAppReady() sudah dipanggil di main.ts.",
    ),
    (
        "hiro@globex.example",
        "com.globex.field",
        "normal",
        "Channel 'beta' devices get the production bundle",
        "We set `beta` as default for QA devices but they keep receiving 4.2.0 from production.\n"
        "Is there a cache delay or should we call setChannel()?",
    ),
    (
        "finance@kopinusantara.id",
        None,
        "low",
        "Minta faktur pajak untuk invoice INV-2026-0042",
        "Tolong terbitkan ulang invoice dengan nama perusahaan dan NPWP kami.",
    ),
]


def _uuid(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


class Command(BaseCommand):
    help = "Load demo customers (organizations, people, projects, roles), agents and sample requests."

    def handle(self, *args: Any, **options: Any) -> None:
        password = env_str("CAPDESK_DEMO_PASSWORD", "capdesk-demo")
        with transaction.atomic():
            created = self._directory()
            self._staff(password)
            for slug, name in [
                ("support", "Support"),
                ("billing", "Billing"),
                ("sales", "Sales"),
                ("product", "Product"),
                ("triage", "Triage"),
            ]:
                Queue.objects.get_or_create(slug=slug, defaults={"name": name})
        status = load_status_demo()
        articles = load_knowledge_demo()
        if created:
            self._requests()
        self.stdout.write(
            "Demo data ready.\n"
            f"  agents:    agent / {password}   admin / {password}  (console: /console/)\n"
            "  customers: sign in at /portal/ as dewi@kopinusantara.id, hiro@globex.example,\n"
            "             rudi@kopinusantara.id (reader), tom@tinytrial.example (trial) ...\n"
            f"  status page: /status/ ({status['components']} components added this run)\n"
            f"  knowledge base: /kb/ ({articles.created} articles added, {articles.updated} updated)\n"
        )

    def _directory(self) -> bool:
        if Organization.objects.filter(capgo_id=_uuid("org", ORGS[0][0])).exists():
            return False
        orgs = {}
        for name, plan, status, tz, extras in ORGS:
            orgs[name] = Organization.objects.create(
                capgo_id=_uuid("org", name),
                name=name,
                plan=plan,
                subscription_status=status,
                timezone=tz,
                trial_ends_at=timezone.now() + timedelta(days=10) if status == "trialing" else None,
                **extras,
            )
        projects = {}
        for app_id, name, org in PROJECTS:
            projects[app_id] = Project.objects.create(app_id=app_id, name=name, organization=orgs[org])
        for name, email, language, bindings in PEOPLE:
            person = Person.objects.create(capgo_id=_uuid("person", email), name=name, language=language)
            EmailAddress.objects.create(person=person, email=email, primary=True)
            for role, org, bound_app in bindings:
                RoleBinding.objects.create(
                    person=person,
                    organization=orgs[org],
                    role=role,
                    project=projects[bound_app] if bound_app else None,
                )
        return True

    def _staff(self, password: str) -> None:
        user_model = get_user_model()
        for username, superuser in [("agent", False), ("admin", True)]:
            if not user_model.objects.filter(username=username).exists():
                user_model.objects.create_user(
                    username=username,
                    password=password,
                    email=f"{username}@capgo.app",
                    is_staff=True,
                    is_superuser=superuser,
                )

    def _requests(self) -> None:
        for email, app_id, severity, subject, body in REQUESTS:
            person = EmailAddress.objects.get(email=email).person
            payload = {
                "kind": "new",
                "subject": subject,
                "body": body,
                "project": app_id,
                "severity": severity,
                "language": person.language,
            }
            receipt = intake.receive(
                channel="portal",
                raw=encode_payload(payload),
                idempotency_key=f"demo:{subject}",
                claimed_sender=email,
                authenticated_person=person,
            )
            intake.process(receipt.request.pk)
