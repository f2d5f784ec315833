import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from capdesk.portal.models import MagicLink


def _link_from_outbox() -> str:
    match = re.search(r"/portal/magic/([\w-]+)/", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(0)


def test_it_emails_a_sign_in_link_to_a_registered_address(client, cast, run_worker):
    response = client.post("/portal/sign-in/", {"email": "Dewi@Acme.test"})
    assert response.status_code == 200
    run_worker()
    assert [m.to for m in mail.outbox] == [["dewi@acme.test"]]
    assert mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-generated"


def test_it_answers_the_same_for_an_unregistered_address_and_sends_nothing(client, cast, run_worker):
    registered = client.post("/portal/sign-in/", {"email": "dewi@acme.test"})
    unknown = client.post("/portal/sign-in/", {"email": "nobody@acme.test"})
    run_worker()
    assert len(mail.outbox) == 1
    strip = lambda html: re.sub(r"[\w.]+@acme\.test|csrfmiddlewaretoken\" value=\"\w+", "", html)  # noqa: E731
    assert strip(registered.content.decode()) == strip(unknown.content.decode())


def test_it_signs_in_only_after_the_confirmation_post(client, cast, run_worker):
    client.post("/portal/sign-in/", {"email": "dewi@acme.test"})
    run_worker()
    link = _link_from_outbox()
    assert client.get(link).status_code == 200  # a mail scanner's GET uses nothing up
    assert client.get("/portal/requests/").status_code == 302
    response = client.post(link)
    assert response.status_code == 302
    assert client.get("/portal/requests/").status_code == 200


def test_it_refuses_a_used_link(client, cast, run_worker):
    client.post("/portal/sign-in/", {"email": "dewi@acme.test"})
    run_worker()
    link = _link_from_outbox()
    client.post(link)
    client.post("/portal/sign-out/")
    assert client.post(link).status_code == 410
    assert client.get("/portal/requests/").status_code == 302


def test_it_refuses_an_expired_link(client, cast, run_worker):
    client.post("/portal/sign-in/", {"email": "dewi@acme.test"})
    run_worker()
    link = _link_from_outbox()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert client.post(link).status_code == 410


def test_it_limits_links_per_address_per_hour(client, cast, run_worker):
    for _ in range(8):
        client.post("/portal/sign-in/", {"email": "dewi@acme.test"})
    assert MagicLink.objects.count() == 5
