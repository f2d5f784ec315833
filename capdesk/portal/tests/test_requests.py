import uuid

import pytest
from django.core import mail
from django.db import OperationalError, connection, transaction

from capdesk.intake.models import InboundRequest
from capdesk.portal.actions import user_for_person
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message, Ticket


@pytest.fixture
def as_customer(client):
    def sign_in(person):
        client.force_login(user_for_person(person))
        return client

    return sign_in


def _new(client, **fields):
    data = {
        "subject": "Bundle never downloads",
        "severity": "high",
        "idempotency_key": uuid.uuid4().hex,
        "body": "```\n[CapacitorUpdater] No new version available\n```",
        **fields,
    }
    return client.post("/portal/requests/new/", data)


def test_it_files_a_request_for_a_project_of_the_customer(cast, as_customer):
    client = as_customer(cast.developer)
    response = _new(client, project="com.acme.shop")
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/requests/{ticket.reference}/"
    assert ticket.project == cast.project
    assert ticket.organization == cast.org
    assert ticket.severity == "high"
    assert ticket.channel == "portal"
    assert InboundRequest.objects.get().state == InboundRequest.State.PROCESSED
    page = client.get(response["Location"]).content.decode()
    assert "No new version available" in page
    assert '<pre class="highlight">' in page


def test_it_offers_only_the_customers_projects_and_explains_the_entitlement(cast, as_customer):
    page = as_customer(cast.reader).get("/portal/requests/new/").content.decode()
    assert "com.acme.shop" in page
    assert "com.other.app" not in page
    assert "billing and account only" in page


def test_it_does_not_file_a_request_for_another_organizations_project(cast, as_customer):
    _new(as_customer(cast.developer), project="com.other.app")
    assert Ticket.objects.count() == 0


def test_a_double_submitted_form_files_one_request(cast, as_customer):
    client = as_customer(cast.developer)
    key = uuid.uuid4().hex
    _new(client, idempotency_key=key)
    _new(client, idempotency_key=key)
    assert Ticket.objects.count() == 1
    assert InboundRequest.objects.get().duplicates == 1


def test_a_customer_cannot_see_another_customers_request(cast, as_customer):
    _new(as_customer(cast.developer), project="com.acme.shop")
    ticket = Ticket.objects.get()
    client = as_customer(cast.outsider)
    assert client.get(f"/portal/requests/{ticket.reference}/").status_code == 404
    response = client.post(
        f"/portal/requests/{ticket.reference}/reply/", {"body": "let me in", "idempotency_key": "x"}
    )
    assert response.status_code == 404
    assert Message.objects.filter(author_kind="customer").count() == 1


def test_an_org_admin_sees_the_organizations_requests_but_a_reader_does_not(cast, as_customer):
    _new(as_customer(cast.developer), project="com.acme.shop")
    reference = Ticket.objects.get().reference
    assert as_customer(cast.org_admin).get(f"/portal/requests/{reference}/").status_code == 200
    assert as_customer(cast.reader).get(f"/portal/requests/{reference}/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, cast):
    response = client.get("/portal/requests/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/sign-in/")


def test_the_customer_sees_an_agents_reply_and_gets_it_by_email(cast, as_customer, run_worker):
    client = as_customer(cast.developer)
    _new(client, project="com.acme.shop")
    ticket = Ticket.objects.get()
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Call `notifyAppReady()` **before** 10 s.")
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="internal: check their plan", public=False)
    run_worker()
    page = client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert "<strong>before</strong>" in page
    assert "internal: check their plan" not in page
    replies = [m for m in mail.outbox if m.subject.startswith("Re:")]
    assert len(replies) == 1
    assert ticket.reference in replies[0].subject
    assert "notifyAppReady()" in replies[0].body
    assert "internal" not in replies[0].body


def test_a_customer_reply_reopens_the_ticket(cast, as_customer):
    client = as_customer(cast.developer)
    _new(client, project="com.acme.shop")
    ticket = Ticket.objects.get()
    ticket_actions.reply_as_agent(ticket, agent=cast.agent, body="Try this.")
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    client.post(
        f"/portal/requests/{ticket.reference}/reply/", {"body": "Still broken", "idempotency_key": "r1"}
    )
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.messages.filter(author_kind="customer").count() == 2
    assert ticket.messages.filter(author_kind="agent").count() == 1


def test_markdown_cannot_inject_markup(cast, as_customer):
    client = as_customer(cast.developer)
    _new(client, body="<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))")
    html = Message.objects.get(author_kind="customer").body_html
    assert "<script" not in html
    assert "<img" not in html  # the typed tag is shown as text, never as markup
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert 'href="javascript' not in html


def test_the_language_switch_is_remembered_on_the_person(cast, as_customer):
    client = as_customer(cast.developer)
    client.post("/portal/language/", {"language": "id", "next": "/portal/requests/"})
    cast.developer.refresh_from_db()
    assert cast.developer.language == "id"


def test_an_indonesian_speaker_gets_the_portal_and_the_standard_reply_in_indonesian(
    cast, as_customer, run_worker
):
    cast.developer.language = "id"
    cast.developer.save()
    client = as_customer(cast.developer)
    client.cookies["django_language"] = "id"
    page = client.get("/portal/requests/new/").content.decode()
    assert "Permintaan baru" in page
    assert "Tingkat keparahan" in page
    # The severity panel names the levels in Indonesian too, as the form's menu does.
    assert "<dt>Mendesak</dt>" in page and "<dt>Urgent</dt>" not in page
    _new(client, project="com.acme.shop")
    run_worker()
    (ack,) = mail.outbox
    assert "Permintaan Anda sudah kami terima" in ack.subject
    assert "Permintaan Anda kini menjadi tiket CAP-" in ack.body
    assert "klausul S2.3, E1, E2, E3, E4, L1" in ack.body


def test_a_team_customer_sends_the_premium_support_form_to_sales(cast, as_customer, run_worker):
    client = as_customer(cast.org_admin)
    page = client.get("/portal/premium/").content.decode()
    assert "Contact sales" in page
    response = client.post(
        "/portal/premium/",
        {
            "organization": str(cast.org.capgo_id),
            "idempotency_key": "p1",
            "body": "We need help with a third-party plugin.",
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/portal/requests/{ticket.reference}/"
    assert ticket.queue.slug == "sales"
    assert ticket.organization == cast.org
    assert ticket.decisions.get().outcome == "premium_lead"
    run_worker()
    sales = [m for m in mail.outbox if m.to == ["martin@capgo.app"]]
    assert len(sales) == 1 and "Acme Apps" in sales[0].subject


def test_a_maker_customer_is_told_what_premium_support_requires(cast, as_customer):
    cast.org.plan = "maker"
    cast.org.save()
    client = as_customer(cast.org_admin)
    page = client.get("/portal/premium/").content.decode()
    assert "Contact sales" not in page
    assert "Team, Enterprise" in page  # by their names, not the policy's keys
    client.post(
        "/portal/premium/", {"organization": str(cast.org.capgo_id), "body": "x", "idempotency_key": "p2"}
    )
    assert not Ticket.objects.exists()


def test_the_premium_form_cannot_name_another_organization(cast, as_customer):
    client = as_customer(cast.outsider)
    client.post(
        "/portal/premium/", {"organization": str(cast.org.capgo_id), "body": "x", "idempotency_key": "p3"}
    )
    assert not Ticket.objects.exists()


def test_the_new_request_form_shows_active_incidents_first(cast, as_customer):
    from capdesk.status import actions as status_actions

    page = as_customer(cast.developer).get("/portal/requests/new/").content.decode()
    assert "Known issues right now" not in page
    api = status_actions.create_component(name="Live update API")
    incident = status_actions.open_incident(
        name="Bundle downloads failing", body="x", notify=False, components={api: "major_outage"}
    )
    page = as_customer(cast.developer).get("/portal/requests/new/").content.decode()
    assert "Known issues right now" in page
    assert "Bundle downloads failing" in page and incident.public_id in page
    assert page.index("Known issues right now") < page.index('enctype="multipart/form-data"')


@pytest.mark.django_db(transaction=True)
def test_a_request_stored_while_the_database_turns_busy_is_acknowledged_and_left_to_the_worker(
    cast, as_customer, run_worker
):
    # The database refuses the first statement after the request's commit, as SQLite does
    # when another writer holds the lock past the busy timeout. Django's execute_wrapper
    # is the driver's edge: the desk's own code runs unchanged.
    client = as_customer(cast.developer)
    state = {"committed": False, "refused": 0}

    def busy_once_after_commit(execute, sql, params, many, context):
        if state["committed"] and not state["refused"]:
            state["refused"] += 1
            raise OperationalError("database is locked")
        if sql.lstrip().upper().startswith("INSERT") and InboundRequest._meta.db_table in sql:
            transaction.on_commit(lambda: state.update(committed=True))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(busy_once_after_commit):
        response = _new(client, project="com.acme.shop")

    assert state["refused"] == 1
    assert response.status_code == 302 and response["Location"] == "/portal/"
    stored = InboundRequest.objects.get()
    assert stored.state == InboundRequest.State.PENDING and not Ticket.objects.exists()
    run_worker()
    stored.refresh_from_db()
    assert stored.state == InboundRequest.State.PROCESSED
    assert Ticket.objects.get().project == cast.project


def test_the_known_issues_are_named_in_the_customers_language(cast, as_customer):
    from capdesk.status import actions as status_actions

    status_actions.open_incident(
        name="Bundle downloads failing",
        body="x",
        notify=False,
        translations={"id": {"name": "Unduhan bundle gagal"}},
    )
    customer = as_customer(cast.developer)
    indonesian = customer.get("/portal/requests/new/", headers={"accept-language": "id"}).content.decode()
    assert "Unduhan bundle gagal" in indonesian and "Bundle downloads failing" not in indonesian
    english = customer.get("/portal/requests/new/", headers={"accept-language": "en"}).content.decode()
    assert "Bundle downloads failing" in english
