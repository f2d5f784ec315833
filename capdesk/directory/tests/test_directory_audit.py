"""Every way the directory changes leaves one audit entry saying who changed it and what changed."""

import io
from pathlib import Path

from django.core.management import call_command

from capdesk.core.models import AuditEntry
from capdesk.directory.tests import capgo_payloads as capgo
from capdesk.directory.tests.conftest import Deliver
from capdesk.directory.tests.fake_capgo_api import FakeCapgo
from capdesk.directory.tests.test_directory_pull import _fill

ACME = "6aa5b0a0-0b3c-4d6e-8f00-000000000001"


def test_it_audits_a_capgo_webhook_with_its_id_and_what_it_changed(deliver: Deliver) -> None:
    deliver(capgo.event("orgs", "INSERT", new=capgo.org_row(plan="team")), webhook_id="msg_audit_1")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind, entry.actor_label) == (
        "directory.webhook",
        "capgo",
        "Capgo webhook",
    )
    assert entry.details["webhook_id"] == "msg_audit_1"
    assert entry.details["event"] == "orgs.INSERT"
    assert entry.details["changes"] == {"organizations": {"created": 1}}


def test_a_replayed_webhook_adds_no_entry(deliver: Deliver) -> None:
    event = capgo.event("orgs", "INSERT", new=capgo.org_row())
    deliver(event, webhook_id="msg_once")
    deliver(event, webhook_id="msg_once")
    assert AuditEntry.objects.count() == 1


def test_it_audits_a_pull_and_a_dry_run_leaves_no_entry(capgo_api: FakeCapgo) -> None:
    _fill(capgo_api)
    call_command("directory", "pull", "--dry-run", stdout=io.StringIO(), stderr=io.StringIO())
    assert not AuditEntry.objects.exists()
    call_command("directory", "pull", stdout=io.StringIO(), stderr=io.StringIO())
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind) == ("directory.pull", "system")
    assert entry.details["changes"]["organizations"] == {"created": 3}


def test_it_audits_an_import(db: None, tmp_path: Path) -> None:
    path = tmp_path / "organizations.csv"
    path.write_text(f"capgo_id,name,plan\n{ACME},Acme Apps,team\n")
    call_command("directory", "import", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_kind, entry.actor_label) == (
        "directory.import",
        "system",
        "directory import",
    )
    assert entry.details["changes"] == {"organizations": {"created": 1}}
