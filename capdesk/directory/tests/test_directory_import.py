"""`capdesk directory import FILE...`: JSON and CSV, checked row by row, imported all or nothing."""

import io
import json
import re
import textwrap
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from capdesk.directory import actions, queries
from capdesk.directory.models import EmailAddress, Organization, Person, Plan, Project, RoleBinding
from capdesk.directory.sync import importer
from capdesk.directory.sync import records as r
from capdesk.directory.sync.import_files import read_file
from capdesk.testing.factories import Personas

ACME = "6aa5b0a0-0b3c-4d6e-8f00-000000000001"
DEWI = "0d1e2f30-4a5b-4c6d-8e7f-000000000011"
RUDI = "0d1e2f30-4a5b-4c6d-8e7f-000000000012"

ORGANIZATIONS_CSV = f"""\
capgo_id,name,plan,subscription_status,trial_ends_at,timezone,credits_balance,premium_support
{ACME},Acme Apps,team,active,,Asia/Jakarta,12.50,true
6aa5b0a0-0b3c-4d6e-8f00-000000000002,Trial Co,solo,trialing,2026-03-16T00:00:00Z,,,
"""
PEOPLE_CSV = f"""\
capgo_id,name,language,emails
{DEWI},Dewi Developer,id,Dewi@Acme.test; dewi.s@acme.test
{RUDI},Rudi Reader,,rudi@acme.test
"""
PROJECTS_CSV = f"""\
app_id,organization,name
com.acme.shop,{ACME},Acme Shop
com.acme.blog,{ACME},
"""
BINDINGS_CSV = f"""\
person,organization,project,role
{DEWI},{ACME},com.acme.shop,app_developer
rudi@acme.test,{ACME},,read
"""


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(content))
    return path


def run_import(*args: str | Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("directory", "import", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args: str | Path) -> list[str]:
    """The problems an import reports on stderr, after checking that it failed."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="import refused, nothing changed") as failure:
        call_command("directory", "import", *[str(a) for a in args], stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    return err.getvalue().splitlines()[1:]  # after the "N rows read" progress line


def _everything() -> list[Any]:
    return [
        list(Organization.objects.values()),
        list(Person.objects.values()),
        list(EmailAddress.objects.values()),
        list(Project.objects.values()),
        list(RoleBinding.objects.values()),
    ]


def _all_csv(tmp_path: Path) -> list[Path]:
    return [
        write(tmp_path, "organizations.csv", ORGANIZATIONS_CSV),
        write(tmp_path, "people.csv", PEOPLE_CSV),
        write(tmp_path, "projects.csv", PROJECTS_CSV),
        write(tmp_path, "bindings.csv", BINDINGS_CSV),
    ]


def test_it_imports_one_csv_per_kind_named_after_the_kind(tmp_path: Path, db: None) -> None:
    out, _ = run_import(*reversed(_all_csv(tmp_path)))  # any order: rows are applied kind by kind
    assert "organizations created 2" in out
    acme = Organization.objects.get(capgo_id=ACME)
    assert (acme.plan, acme.timezone, acme.credits_balance, acme.premium_support) == (
        Plan.TEAM,
        "Asia/Jakarta",
        Decimal("12.50"),
        True,
    )
    trial = Organization.objects.get(name="Trial Co")
    assert trial.trial_ends_at == datetime(2026, 3, 16, tzinfo=UTC)
    dewi = Person.objects.get(capgo_id=DEWI)
    assert (dewi.language, dewi.primary_email) == ("id", "dewi@acme.test")
    assert sorted(dewi.emails.values_list("email", flat=True)) == ["dewi.s@acme.test", "dewi@acme.test"]
    assert queries.is_developer_or_higher(dewi, Project.objects.get(app_id="com.acme.shop"))
    assert RoleBinding.objects.get(person__capgo_id=RUDI, project__isnull=True).role == "read"


def test_it_imports_a_json_document_with_every_kind(tmp_path: Path, db: None) -> None:
    document = {
        "organizations": [
            {"capgo_id": ACME, "name": "Acme Apps", "plan": "enterprise", "priority_plus": True}
        ],
        "people": [{"capgo_id": DEWI, "name": "Dewi", "emails": ["dewi@acme.test"]}],
        "projects": [{"app_id": "com.acme.shop", "organization": ACME}],
        "bindings": [{"person": "dewi@acme.test", "organization": ACME, "role": "org_admin"}],
    }
    out, _ = run_import(write(tmp_path, "directory.json", json.dumps(document, indent=2)), "--json")
    report = json.loads(out)
    assert report["dry_run"] is False
    assert {kind: counts["created"] for kind, counts in report["changes"].items()} == {
        "organizations": 1,
        "people": 1,
        "projects": 1,
        "bindings": 1,
    }
    assert Organization.objects.get().priority_plus is True


def test_it_reads_the_kind_from_the_option_for_any_file_name(tmp_path: Path, db: None) -> None:
    run_import(write(tmp_path, "export-2026.csv", ORGANIZATIONS_CSV), "--kind", "organizations")
    assert Organization.objects.count() == 2


def test_it_updates_rows_that_exist_and_counts_what_did_not_change(tmp_path: Path, cast: Personas) -> None:
    path = write(
        tmp_path,
        "organizations.csv",
        f"capgo_id,name,plan\n{cast.org.capgo_id},Acme Apps,enterprise\n{ACME},New Org,\n",
    )
    out, _ = run_import(path)
    assert "organizations created 1  updated 1  deleted 0  unchanged 0" in out
    cast.org.refresh_from_db()
    assert cast.org.plan == Plan.ENTERPRISE
    assert cast.org.timezone == "Asia/Jakarta", "a field the file does not give stays as it was"


def test_it_reports_every_bad_row_by_line_and_imports_nothing(tmp_path: Path, db: None) -> None:
    path = write(
        tmp_path,
        "organizations.csv",
        f"""\
        capgo_id,name,plan,credits_balance,timezone,premium_support
        {ACME},Acme Apps,team,10,Asia/Jakarta,false
        6aa5b0a0-0b3c-4d6e-8f00-000000000002,Good Co,maker,,,
        not-a-uuid,Bad Id,solo,,,
        6aa5b0a0-0b3c-4d6e-8f00-000000000004,,solo,,,
        6aa5b0a0-0b3c-4d6e-8f00-000000000005,Minus,solo,-3,,
        6aa5b0a0-0b3c-4d6e-8f00-000000000006,Gold Co,gold,,,
        6aa5b0a0-0b3c-4d6e-8f00-000000000007,Mars,solo,,Mars/Olympus,
        6aa5b0a0-0b3c-4d6e-8f00-000000000008,Maybe,solo,,,perhaps
        {ACME},Acme Again,team,,,
        """,
    )
    assert refused(path) == [
        "line 4: capgo_id 'not-a-uuid' is not a UUID",
        "line 5: name is required",
        "line 6: credits_balance '-3' must be a number of at least 0",
        "line 7: plan 'gold' is not one of solo, maker, team, enterprise",
        "line 8: timezone 'Mars/Olympus' is not an IANA time zone (like Asia/Jakarta)",
        "line 9: premium_support 'perhaps' is not true or false",
        f"line 10: organization {ACME} is already on line 2",
    ]
    assert not Organization.objects.exists()


def test_it_reports_bad_json_rows_by_the_line_they_start_on(tmp_path: Path, db: None) -> None:
    text = """\
    {
      "organizations": [
        {"capgo_id": "6aa5b0a0-0b3c-4d6e-8f00-000000000001", "name": "Acme", "plan": "team"},
        {
          "capgo_id": "6aa5b0a0-0b3c-4d6e-8f00-000000000002",
          "name": "Gold Co",
          "plan": "gold"
        }
      ],
      "bindings": [
        {"person": "nobody@acme.test", "organization": "6aa5b0a0-0b3c-4d6e-8f00-000000000001", "role": "owner"}
      ]
    }
    """
    assert refused(write(tmp_path, "directory.json", text)) == [
        "line 4: plan 'gold' is not one of solo, maker, team, enterprise",
        "line 11: person nobody@acme.test is not a registered email in this import or the directory",
    ]


def test_it_checks_references_against_the_file_and_the_directory(tmp_path: Path, cast: Personas) -> None:
    path = write(
        tmp_path,
        "bindings.csv",
        f"""\
        person,organization,project,role
        dewi@acme.test,{cast.org.capgo_id},com.acme.shop,admin
        {DEWI},{cast.org.capgo_id},,write
        dewi@acme.test,{ACME},,write
        dewi@acme.test,{cast.org.capgo_id},com.other.app,write
        dewi@acme.test,{cast.org.capgo_id},com.acme.nope,write
        ana@acme.test,{cast.org.capgo_id},,boss
        """,
    )
    other_org = cast.other_project.organization.capgo_id
    assert refused(path) == [
        f"line 3: person {DEWI} is neither in this import nor in the directory",
        f"line 4: organization {ACME} is neither in this import nor in the directory",
        f"line 5: app com.other.app belongs to organization {other_org}, not {cast.org.capgo_id}",
        "line 6: app com.acme.nope is neither in this import nor in the directory",
        "line 7: role 'boss' is not a Capgo role (like app_developer, org_admin, or legacy write)",
    ]
    assert RoleBinding.objects.get(person=cast.developer).role == "app_developer"


def test_it_refuses_an_email_that_belongs_to_someone_else(tmp_path: Path, cast: Personas) -> None:
    path = write(tmp_path, "people.csv", f"capgo_id,emails\n{DEWI},dewi@acme.test\n")
    assert refused(path) == [
        f"line 2: email dewi@acme.test is registered to person {cast.developer.capgo_id}"
    ]


def test_it_lets_an_email_move_when_its_holder_gives_it_up_in_the_same_import(
    tmp_path: Path, cast: Personas
) -> None:
    path = write(
        tmp_path,
        "people.csv",
        f"capgo_id,emails\n{DEWI},dewi@acme.test\n{cast.developer.capgo_id},dewi.new@acme.test\n",
    )
    run_import(path)
    assert queries.person_by_email("dewi@acme.test") == Person.objects.get(capgo_id=DEWI)
    assert queries.person_by_email("dewi.new@acme.test") == cast.developer


def test_it_refuses_unknown_columns_once_per_file(tmp_path: Path, db: None) -> None:
    path = write(tmp_path, "organizations.csv", f"capgo_id,name,plna\n{ACME},A,team\n{DEWI},B,team\n")
    assert refused(path) == [
        "line 2: unknown field(s) plna for organizations "
        "(expected capgo_id, credits_balance, name, plan, premium_hours_per_month, premium_support, "
        "priority_plus, subscription_status, timezone, trial_ends_at)"
    ]


def test_it_names_the_file_when_several_are_imported(tmp_path: Path, db: None) -> None:
    orgs = write(tmp_path, "organizations.csv", f"capgo_id,name,plan\n{ACME},Acme,gold\n")
    projects = write(tmp_path, "projects.csv", f"app_id,organization\n,{ACME}\n")
    assert refused(orgs, projects) == [
        f"{orgs}: line 2: plan 'gold' is not one of solo, maker, team, enterprise",
        f"{projects}: line 2: app_id is required",
    ]


def test_it_imports_nothing_when_one_file_of_several_is_bad(tmp_path: Path, db: None) -> None:
    paths = _all_csv(tmp_path)
    write(tmp_path, "bindings.csv", BINDINGS_CSV + f"{RUDI},{ACME},com.acme.shop,wizard\n")
    before = _everything()
    errors = refused(*paths)
    assert errors == [
        f"{paths[3]}: line 4: role 'wizard' is not a Capgo role (like app_developer, org_admin, or legacy write)"
    ]
    assert _everything() == before


def test_it_rolls_back_everything_when_the_database_refuses_the_last_row(tmp_path: Path, db: None) -> None:
    # Checked rows can still fail to write (a concurrent change between checking and
    # writing); the last binding here breaks a NOT NULL constraint after every other
    # row has been written, and none of them may stay.
    rows = [row for path in _all_csv(tmp_path) for row in read_file(path, kind=None, label=path.name)]
    batch, errors = importer.check(rows)
    assert errors == []
    no_role: Any = None  # what the checker would have refused
    broken = r.BindingRecord(
        person_capgo_id=uuid.UUID(DEWI), org_capgo_id=uuid.UUID(ACME), app_id="com.acme.blog", role=no_role
    )
    batch.bindings.append(broken)
    with pytest.raises(IntegrityError):
        actions.import_batch(batch)
    assert _everything() == [[], [], [], [], []]


def test_it_changes_nothing_on_a_dry_run(tmp_path: Path, db: None) -> None:
    out, _ = run_import(*_all_csv(tmp_path), "--dry-run")
    assert "dry run: nothing was changed" in out
    assert "bindings      created 2" in out
    assert _everything() == [[], [], [], [], []]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("directory.json", "{not json", "line 1: not valid JSON"),
        ("directory.json", '{"orgs": []}', "unknown key(s) orgs"),
        ("directory.json", '{"people": {}}', "people must be a list"),
        ("export.csv", "capgo_id,name\n", "Pass --kind"),
        ("directory.xml", "<directory/>", "expected a .json or .csv file"),
        ("organizations.csv", "", "empty file"),
    ],
)
def test_it_refuses_a_file_it_cannot_read(
    tmp_path: Path, db: None, name: str, content: str, message: str
) -> None:
    with pytest.raises(CommandError, match=f"import refused, nothing changed: .*{re.escape(message)}"):
        run_import(write(tmp_path, name, content))


def test_it_refuses_a_file_that_does_not_exist(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "missing.csv")
