"""The suppression list: no more mail to an address that bounced, was refused or complained, until it works again.

The transports are real where they can be: Django's locmem backend, and the scripted
aiosmtpd relay of ``test_email_delivery`` for a refusal at RCPT. Provider tracking
webhooks follow each provider's documented payload, posted through anymail's own
signature checks (the SaaS cannot run here).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from typing import Any

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend  # type: ignore[import-untyped]
from django.core import mail
from django.core.management import call_command
from django.test import Client

from capdesk.directory.models import EmailAddress
from capdesk.notify import suppressions
from capdesk.notify.actions import deliver, deliver_many, queue_email
from capdesk.notify.models import OutboundEmail, Suppression
from capdesk.portal.actions import redeem_magic_link, request_magic_link
from capdesk.status.models import Subscriber
from capdesk.status.subscriber_actions import confirm_subscriber, subscribe_email
from capdesk.testing.requests import open_for
from capdesk.tickets import actions as tickets
from capdesk.tickets.models import Ticket

from .test_email_delivery import ScriptedRelay, relay  # noqa: F401  (the relay fixture)

pytestmark = pytest.mark.django_db

SECRET = "capdesk:hook-secret"
SIGNING_KEY = "key-mailgun-signing"


def _queue(to: str, kind: str = "agent_reply", **fields: Any) -> OutboundEmail:
    email = queue_email(to=to, subject="Re: your request", body_text="Thanks.", kind=kind, **fields)
    assert email is not None
    return email


def _state(email: OutboundEmail) -> str:
    email.refresh_from_db()
    return email.state


def test_an_email_to_a_suppressed_address_is_settled_unsent_and_never_retried() -> None:
    suppressions.suppress("Gone@Acme.test", reason=Suppression.Reason.BOUNCE, detail="5.1.1 no such user")
    email = _queue("gone@acme.test")
    assert deliver(email.pk) is False
    assert mail.outbox == []
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("suppressed", 1)
    assert email.last_error == "Not sent: gone@acme.test is on the suppression list (Bounced for good)."
    assert deliver(email.pk) is False  # settled: the sweep and a second task find nothing to do
    email.refresh_from_db()
    assert email.attempts == 1


def test_the_other_emails_of_a_batch_still_go() -> None:
    suppressions.suppress("gone@acme.test", reason=Suppression.Reason.COMPLAINT)
    emails = [_queue("ok1@acme.test"), _queue("GONE@acme.test"), _queue("ok2@acme.test")]
    assert deliver_many([e.pk for e in emails]) == [True, False, True]
    assert [m.to for m in mail.outbox] == [["ok1@acme.test"], ["ok2@acme.test"]]
    assert [_state(e) for e in emails] == ["sent", "suppressed", "sent"]


def test_what_the_person_asked_for_a_moment_ago_is_sent_anyway(cast) -> None:
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    assert request_magic_link("dewi@acme.test")
    link = OutboundEmail.objects.get(kind="magic_link")
    assert deliver(link.pk) is True
    assert _state(_queue("dewi@acme.test", kind="status_confirm")) == "queued"
    assert deliver(OutboundEmail.objects.get(kind="status_confirm").pk) is True
    assert len(mail.outbox) == 2


def test_a_used_sign_in_link_lifts_the_suppression(cast) -> None:
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    request_magic_link("dewi@acme.test")
    body = OutboundEmail.objects.get(kind="magic_link").body_text
    token = re.search(r"/portal/magic/([^/\s]+)/", body)
    assert token is not None
    assert Suppression.objects.filter(address="dewi@acme.test").exists()  # asking alone lifts nothing
    assert redeem_magic_link(token.group(1)) is not None
    assert not Suppression.objects.exists()
    assert deliver(_queue("dewi@acme.test").pk) is True


def test_a_confirmed_status_subscription_lifts_the_suppression() -> None:
    suppressions.suppress("ops@acme.test", reason=Suppression.Reason.BOUNCE)
    subscriber = subscribe_email("Ops@acme.test")
    assert Suppression.objects.filter(address="ops@acme.test").exists()
    confirm_subscriber(Subscriber.objects.get(pk=subscriber.pk))
    assert not Suppression.objects.exists()


def test_a_second_report_keeps_the_first_reason_and_date() -> None:
    first = suppressions.suppress("gone@acme.test", reason=Suppression.Reason.BOUNCE, detail="5.1.1")
    again = suppressions.suppress("gone@acme.test", reason=Suppression.Reason.COMPLAINT)
    assert again.pk == first.pk
    assert Suppression.objects.get().reason == "bounce"


def test_a_relay_refusing_the_address_for_good_puts_it_on_the_list(relay: ScriptedRelay) -> None:  # noqa: F811
    relay.answers["RCPT"] = ["550 5.1.1 <gone@acme.test>: Recipient address rejected: User unknown"]
    ticket = tickets.open_ticket(
        subject="Hello", body="Help", channel="email", requester=None, requester_email="gone@acme.test"
    )
    first = _queue("gone@acme.test", ticket_id=ticket.pk)
    assert deliver(first.pk) is False
    told = ticket.events.get(kind="email.undelivered")
    assert told.reason == "550 5.1.1 <gone@acme.test>: Recipient address rejected: User unknown"
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.email_id) == (
        "gone@acme.test",
        "refused",
        first.pk,
    )
    assert suppression.detail == "550 5.1.1 <gone@acme.test>: Recipient address rejected: User unknown"
    connections = relay.connections
    later = _queue("gone@acme.test")
    assert deliver(later.pk) is False
    assert _state(later) == "suppressed"
    assert relay.connections == connections  # nothing was sent, so nobody connected


def test_a_relay_refusing_for_now_suppresses_nothing(relay: ScriptedRelay) -> None:  # noqa: F811
    relay.answers["RCPT"] = ["450 4.2.2 Mailbox full, try later"]
    email = _queue("full@acme.test")
    assert deliver(email.pk) is False
    assert _state(email) == "queued"
    assert not Suppression.objects.exists()


def _ticket(cast) -> Ticket:
    return open_for(cast.developer, "Bundle stuck", email="dewi@acme.test", project=cast.project, body="Help")


def test_agents_see_that_replies_are_not_emailed_and_can_email_the_address_again(
    client: Client, cast
) -> None:
    ticket = _ticket(cast)
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE, detail="5.2.1 mailbox disabled")
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "Replies to this ticket are not emailed: dewi@acme.test is on the suppression list" in page
    assert "Mail to it bounced for good." in page and "5.2.1 mailbox disabled" in page
    assert "The requester still reads the replies in the portal." in page

    tickets.reply_as_agent(ticket, agent=cast.agent, body="Try channel set.")
    reply = OutboundEmail.objects.get(ticket=ticket, kind="agent_reply")
    assert deliver(reply.pk) is False and _state(reply) == "suppressed"

    response = client.post(f"/console/tickets/{ticket.reference}/email-again/", follow=True)
    assert "Replies to this ticket are emailed to dewi@acme.test again." in response.content.decode()
    assert not Suppression.objects.exists()
    assert ticket.events.filter(kind="email.unsuppressed", actor_user=cast.agent).exists()
    history = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "suppression list" in history  # the History line, the notice is gone
    assert 'id="suppressed"' not in history
    tickets.reply_as_agent(ticket, agent=cast.agent, body="Did it work?")
    later = OutboundEmail.objects.filter(ticket=ticket, kind="agent_reply").order_by("-pk").first()
    assert later is not None and deliver(later.pk) is True


def test_the_portal_is_not_offered_for_a_requester_without_an_account(client: Client, cast) -> None:
    ticket = tickets.open_ticket(
        subject="Hello", body="Help", channel="email", requester=None, requester_email="gone@example.test"
    )
    suppressions.suppress("gone@example.test", reason=Suppression.Reason.REFUSED)
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/").content.decode()
    assert "The mail relay refused it as an address that does not exist." in page
    assert "reads the replies in the portal" not in page


def test_the_agents_page_is_in_indonesian_for_an_indonesian_agent(client: Client, cast) -> None:
    ticket = _ticket(cast)
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.COMPLAINT)
    client.force_login(cast.agent)
    page = client.get(f"/console/tickets/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "tidak dikirim lewat email" in page and "Kirim email ke alamat ini lagi" in page


def test_customers_never_see_the_notice_nor_lift_it(client: Client, cast) -> None:
    from capdesk.portal.actions import user_for_person

    ticket = _ticket(cast)
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    client.force_login(user_for_person(cast.developer))
    assert "suppression" not in client.get(f"/portal/requests/{ticket.reference}/").content.decode()
    assert client.post(f"/console/tickets/{ticket.reference}/email-again/").status_code == 302
    assert Suppression.objects.exists()


def test_admins_suppress_an_address_by_hand_and_lift_it(client: Client, cast) -> None:
    client.force_login(cast.admin)
    response = client.post(
        "/admin/notify/suppression/add/",
        {"address": " Ops@Acme.test ", "reason": "manual", "detail": "asked us to stop"},
    )
    assert response.status_code == 302
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason) == ("ops@acme.test", "manual")
    assert "ops@acme.test" in client.get("/admin/notify/suppression/?q=acme").content.decode()
    assert deliver(_queue("ops@acme.test").pk) is False
    client.post(f"/admin/notify/suppression/{suppression.pk}/delete/", {"post": "yes"})
    assert not Suppression.objects.exists()


def test_stats_count_suppressed_emails_and_addresses(capsys) -> None:
    suppressions.suppress("gone@acme.test", reason=Suppression.Reason.BOUNCE)
    deliver(_queue("gone@acme.test").pk)
    call_command("stats", "--json")
    outgoing = json.loads(capsys.readouterr().out)["outgoing_mail"]
    assert (outgoing["suppressed"], outgoing["suppressed_addresses"]) == (1, 1)


# Provider tracking webhooks --------------------------------------------------------------


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def _tracking(client: Client, provider: str, payload: object, *, auth: str = SECRET) -> int:
    """POST a provider's JSON tracking event, with the basic auth the provider is configured with."""
    response = client.post(
        f"/hooks/email/{provider}/tracking/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(auth),
    )
    return response.status_code


@pytest.fixture
def providers_on(settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def _sent_through_postmark(to: str) -> OutboundEmail:
    email = _queue(to)
    OutboundEmail.objects.filter(pk=email.pk).update(
        state="sent", provider_id="883953f4-6105-42a2-a16a-77a8eac79483"
    )
    return email


def _postmark(client: Client, *, record: str = "Bounce", kind: str = "HardBounce", auth: str = SECRET) -> int:
    # Postmark's bounce webhook (postmarkapp.com/developer/webhooks/bounce-webhook).
    payload = {
        "RecordType": record,
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "dewi@acme.test",
        "From": "support@capgo.app",
        "BouncedAt": "2026-11-29T10:15:00Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Re: your request",
    }
    if record == "SpamComplaint":
        payload["Type"] = "SpamComplaint"
    return _tracking(client, "postmark", payload, auth=auth)


def test_a_postmark_hard_bounce_is_recorded_and_suppresses_the_address(
    client: Client, cast, providers_on
) -> None:
    email = _sent_through_postmark("dewi@acme.test")
    assert _postmark(client) == 200
    email.refresh_from_db()
    assert email.bounced_at is not None
    assert (
        email.bounce == "Postmark: smtp;550 5.1.1 The email account that you tried to reach does not exist."
    )
    assert EmailAddress.objects.get(email="dewi@acme.test").bounced_at is not None
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.email_id) == (
        "dewi@acme.test",
        "bounce",
        email.pk,
    )


def test_a_postmark_soft_bounce_or_a_wrong_password_changes_nothing(client: Client, providers_on) -> None:
    email = _sent_through_postmark("dewi@acme.test")
    assert _postmark(client, kind="SoftBounce") == 200
    assert _postmark(client, auth="capdesk:guess") == 400
    email.refresh_from_db()
    assert email.bounced_at is None and not Suppression.objects.exists()


def test_a_postmark_spam_complaint_suppresses_the_address(client: Client, providers_on) -> None:
    email = _sent_through_postmark("dewi@acme.test")
    assert _postmark(client, record="SpamComplaint") == 200
    assert Suppression.objects.get().reason == "complaint"
    email.refresh_from_db()
    assert email.bounced_at is None  # it arrived; its reader did not want it


def test_an_event_about_mail_the_desk_did_not_send_changes_nothing(client: Client, providers_on) -> None:
    _queue("dewi@acme.test")  # never sent through Postmark: no provider id
    assert _postmark(client) == 200
    assert not Suppression.objects.exists()


def test_tracking_is_switched_off_without_the_providers_secret(client: Client, settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": "", "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    _sent_through_postmark("dewi@acme.test")
    assert _postmark(client) == 404


def _mailgun(
    client: Client,
    *,
    severity: str,
    key: str = SIGNING_KEY,
    reason: str = "bounce",
    said: str = "5.1.1 The email account that you tried to reach does not exist.",
) -> int:
    # Mailgun's JSON webhooks (documentation.mailgun.com, "Webhooks": event-data "failed").
    timestamp, token = "1795000000", "50f5d1d5a0f2c1e7a4b6f0d3c2b1a09f8e7d6c5b4a39281706"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    payload = {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": "failed",
            "severity": severity,
            "reason": reason,
            "id": "G9Bn5sl1TC6nu79C8C0bwg",
            "timestamp": 1795000000.0,
            "recipient": "dewi@acme.test",
            "message": {"headers": {"message-id": "ours-7@capgo.app", "to": "dewi@acme.test"}},
            "delivery-status": {
                "code": 550,
                "message": said,
                "description": "",
            },
        },
    }
    return _tracking(client, "mailgun", payload)


def test_a_signed_mailgun_permanent_failure_names_the_email_by_its_message_id(
    client: Client, providers_on
) -> None:
    email = _queue("dewi@acme.test", headers={"Message-ID": "<ours-7@capgo.app>"})
    assert _mailgun(client, severity="temporary") == 200
    assert not Suppression.objects.exists()
    assert _mailgun(client, severity="permanent", key="key-forged") == 400
    assert not Suppression.objects.exists()
    assert _mailgun(client, severity="permanent") == 200
    email.refresh_from_db()
    assert email.bounce == "Mailgun: 5.1.1 The email account that you tried to reach does not exist."
    assert Suppression.objects.get().address == "dewi@acme.test"


class ProviderBackend(AnymailTestBackend):  # type: ignore[misc]
    """anymail's test backend, answering as Postmark does: a UUID per message it took."""

    def get_esp_message_id(self, message: Any) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, message.extra_headers["Message-ID"]))


def test_an_api_providers_id_for_the_email_is_kept_when_it_is_sent(settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.ProviderBackend"
    email = _queue("dewi@acme.test")
    assert deliver(email.pk) is True
    email.refresh_from_db()
    assert email.provider_id == str(uuid.uuid5(uuid.NAMESPACE_URL, email.headers["Message-ID"]))


def test_a_case_variant_of_a_listed_address_is_refused_by_the_admin_form(client: Client, cast) -> None:
    suppressions.suppress("ops@acme.test", reason=Suppression.Reason.MANUAL)
    client.force_login(cast.admin)
    response = client.post("/admin/notify/suppression/add/", {"address": "Ops@Acme.test", "reason": "manual"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert Suppression.objects.count() == 1


def test_a_postmark_spam_notification_is_a_filters_verdict_not_a_complaint(
    client: Client, providers_on
) -> None:
    _sent_through_postmark("dewi@acme.test")
    assert _postmark(client, kind="SpamNotification") == 200
    assert not Suppression.objects.exists()


def test_a_mailgun_drop_for_an_earlier_complaint_suppresses_as_a_complaint(
    client: Client, providers_on
) -> None:
    _queue("dewi@acme.test", headers={"Message-ID": "<ours-7@capgo.app>"})
    assert _mailgun(client, severity="permanent", reason="suppress-complaint", said="Not delivering") == 200
    assert Suppression.objects.get().reason == "complaint"


def test_a_mailgun_policy_block_marks_the_email_and_leaves_the_address_on(
    client: Client, providers_on
) -> None:
    email = _queue("dewi@acme.test", headers={"Message-ID": "<ours-7@capgo.app>"})
    said = "5.7.26 Unauthenticated email from capgo.app is not accepted due to domain's DMARC policy"
    assert _mailgun(client, severity="permanent", said=said) == 200
    email.refresh_from_db()
    assert email.bounced_at is not None and "DMARC" in email.bounce
    assert not Suppression.objects.exists()


def _ses(client: Client, bounce_type: str, subtype: str) -> int:
    # Amazon SES bounce notification through SNS (docs.aws.amazon.com/ses, "notification contents").
    _queue("dewi@acme.test", headers={"Message-ID": "<ours-9@capgo.app>"})
    OutboundEmail.objects.filter(to="dewi@acme.test").update(
        state="sent", provider_id="0100018b-ses-message-id-000000"
    )
    message = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": subtype,
            "bouncedRecipients": [
                {
                    "emailAddress": "dewi@acme.test",
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": "2026-11-29T10:15:00.000Z",
            "feedbackId": "0100018b-feedback",
        },
        "mail": {
            "timestamp": "2026-11-29T10:14:00.000Z",
            "source": "support@capgo.app",
            "messageId": "0100018b-ses-message-id-000000",
            "destination": ["dewi@acme.test"],
        },
    }
    sns = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:capdesk-tracking",
        "Message": json.dumps(message),
        "Timestamp": "2026-11-29T10:15:01.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
    }
    response = client.post(
        "/hooks/email/amazon_ses/tracking/",
        json.dumps(sns),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
        HTTP_X_AMZ_SNS_MESSAGE_ID=sns["MessageId"],
        HTTP_X_AMZ_SNS_TOPIC_ARN=sns["TopicArn"],
        HTTP_AUTHORIZATION=_basic(SECRET),
    )
    return response.status_code


def test_an_amazon_ses_permanent_bounce_suppresses_and_a_transient_one_does_not(
    client: Client, providers_on
) -> None:
    assert _ses(client, "Transient", "MailboxFull") == 200
    assert not Suppression.objects.exists()
    assert not OutboundEmail.objects.filter(bounced_at__isnull=False).exists()
    assert _ses(client, "Permanent", "General") == 200
    assert Suppression.objects.get().detail == "Amazon SES: smtp; 550 5.1.1 user unknown"


def test_an_amazon_ses_content_rejection_leaves_the_address_on(client: Client, providers_on) -> None:
    assert _ses(client, "Permanent", "UnsupportedAttachment") == 200
    assert OutboundEmail.objects.filter(bounced_at__isnull=False).exists()
    assert not Suppression.objects.exists()


def _sendgrid(client: Client, event: dict[str, Any]) -> int:
    # SendGrid's Event Webhook: a JSON array of events (docs.sendgrid.com, "Event Webhook").
    _queue("dewi@acme.test")
    OutboundEmail.objects.filter(to="dewi@acme.test").update(state="sent", provider_id="7c2b1a09-sendgrid")
    base = {
        "email": "dewi@acme.test",
        "timestamp": 1795000000,
        "sg_event_id": "ev-1",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "anymail_id": "7c2b1a09-sendgrid",
    }
    return _tracking(client, "sendgrid", [{**base, **event}])


def test_a_sendgrid_bounce_for_a_dead_address_suppresses_it_and_a_block_does_not(
    client: Client, providers_on
) -> None:
    assert (
        _sendgrid(client, {"event": "bounce", "type": "blocked", "status": "5.7.1", "reason": "blocked"})
        == 200
    )
    assert not Suppression.objects.exists()
    assert (
        _sendgrid(
            client, {"event": "bounce", "type": "bounce", "status": "5.1.1", "reason": "550 5.1.1 unknown"}
        )
        == 200
    )
    assert Suppression.objects.get().address == "dewi@acme.test"


def test_a_customer_sees_why_no_email_comes_and_lifts_only_their_own_address(client: Client, cast) -> None:
    from capdesk.portal.actions import user_for_person

    ticket = _ticket(cast)
    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.BOUNCE)
    suppressions.suppress("rudi@acme.test", reason=Suppression.Reason.BOUNCE)
    client.force_login(user_for_person(cast.developer))
    for page in ("/portal/requests/", f"/portal/requests/{ticket.reference}/"):
        html = client.get(page).content.decode()
        assert "Our emails to dewi@acme.test do not arrive" in html and "rudi@acme.test" not in html
    # Another customer's address, even posted by hand, stays on the list.
    client.post("/portal/email-again/", {"address": "rudi@acme.test"})
    assert Suppression.objects.filter(address="rudi@acme.test").exists()
    response = client.post(
        "/portal/email-again/", {"address": "dewi@acme.test", "next": f"/portal/requests/{ticket.reference}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/portal/requests/{ticket.reference}/"
    assert not Suppression.objects.filter(address="dewi@acme.test").exists()
    assert "do not arrive" not in client.get(response["Location"]).content.decode()
    # Never sent off the portal.
    assert client.post("/portal/email-again/", {"next": "https://evil.test/"})["Location"] == "/portal/"


def test_the_portal_notice_is_in_indonesian(client: Client, cast) -> None:
    from capdesk.portal.actions import user_for_person

    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.COMPLAINT)
    client.force_login(user_for_person(cast.developer))
    html = client.get("/portal/requests/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "karena email kami dilaporkan sebagai spam dari alamat itu" in html


def test_the_portal_says_staff_stopped_the_mail_when_staff_did(client: Client, cast) -> None:
    from capdesk.portal.actions import user_for_person

    suppressions.suppress("dewi@acme.test", reason=Suppression.Reason.MANUAL)
    client.force_login(user_for_person(cast.developer))
    html = client.get("/portal/requests/").content.decode()
    assert "Our support team stopped emailing dewi@acme.test" in html and "mail server" not in html
