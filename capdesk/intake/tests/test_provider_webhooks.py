"""Provider inbound webhooks: each provider's documented payload shape, its signature check, one stored row.

The payloads follow the providers' documentation (Postmark inbound JSON, Mailgun's
forward() route with body-mime, SES receipt rule with the SNS action, SendGrid Inbound
Parse with "Send Raw"); the SaaS cannot run here, so its recorded contract stands in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from capdesk.intake import actions
from capdesk.intake.models import InboundRequest
from capdesk.notify.models import OutboundEmail
from capdesk.tickets.models import Ticket

RAW = (
    b"Return-Path: <dewi@acme.test>\r\n"
    b"From: Dewi Developer <dewi@acme.test>\r\n"
    b"To: support@capgo.app\r\n"
    b"Subject: Live updates never download\r\n"
    b"Message-ID: <hook-1@mail.acme.test>\r\n"
    b"Date: Tue, 24 Nov 2026 09:15:00 +0700\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: text/plain; charset="utf-8"\r\n'
    b"\r\n"
    b"Hello,\r\nbundle 1.4.2 is never downloaded.\r\n"
)
SECRET = "capdesk:hook-secret"
SIGNING_KEY = "key-mailgun-signing"


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.fixture(autouse=True)
def providers_on(settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def stored() -> InboundRequest:
    request = InboundRequest.objects.get()
    assert request.channel == "email"
    assert request.idempotency_key == "<hook-1@mail.acme.test>"
    assert request.claimed_sender == "dewi@acme.test"
    return request


# What the provider reported of the SMTP envelope, written on top of what it delivered (intake.envelope).
ENVELOPE = b"Return-Path: <dewi@acme.test>\r\nDelivered-To: support@capgo.app\r\n"


def postmark(client: Client, auth: str, *, return_path: str = "<dewi@acme.test>") -> int:
    payload = {
        "FromName": "Dewi Developer",
        "From": "dewi@acme.test",
        "FromFull": {"Email": "dewi@acme.test", "Name": "Dewi Developer", "MailboxHash": ""},
        "To": "support@capgo.app",
        "ToFull": [{"Email": "support@capgo.app", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "OriginalRecipient": "support@capgo.app",
        "Subject": "Live updates never download",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Tue, 24 Nov 2026 09:15:00 +0700",
        "TextBody": "Hello,\nbundle 1.4.2 is never downloaded.",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        # Postmark puts the envelope sender first here, and nowhere in RawEmail.
        "Headers": [
            {"Name": "Return-Path", "Value": return_path},
            {"Name": "Message-ID", "Value": "<hook-1@mail.acme.test>"},
        ],
        "Attachments": [],
        "RawEmail": RAW.decode(),
    }
    response = client.post(
        "/hooks/email/postmark/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )
    return response.status_code


def test_it_stores_the_raw_message_from_a_postmark_post(client, db) -> None:
    assert postmark(client, basic(SECRET)) == 200
    assert bytes(stored().raw) == ENVELOPE + RAW


def test_it_refuses_a_postmark_post_with_the_wrong_password(client, db) -> None:
    assert postmark(client, basic("capdesk:guess")) == 400
    assert not InboundRequest.objects.exists()


def mailgun(client: Client, key: str) -> int:
    timestamp, token = "1795000000", "50f5d1d5a0f2c1e7a4b6f0d3c2b1a09f8e7d6c5b4a39281706"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    form = {
        "recipient": "support@capgo.app",
        "sender": "dewi@acme.test",
        "from": "Dewi Developer <dewi@acme.test>",
        "subject": "Live updates never download",
        "body-mime": RAW.decode(),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }
    # Anymail also checks WEBHOOK_SECRET when set: Mailgun sends it from the route's URL (https://user:pass@...).
    return client.post("/hooks/email/mailgun/", form, HTTP_AUTHORIZATION=basic(SECRET)).status_code


def test_it_stores_the_raw_message_from_a_signed_mailgun_post(client, db) -> None:
    assert mailgun(client, SIGNING_KEY) == 200
    assert bytes(stored().raw) == ENVELOPE + RAW


def test_it_refuses_a_mailgun_post_signed_with_another_key(client, db) -> None:
    assert mailgun(client, "key-forged") == 400
    assert not InboundRequest.objects.exists()


def ses(client: Client, auth: str | None) -> int:
    notification = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-11-24T02:15:00.000Z",
            "source": "dewi@acme.test",
            "messageId": "jpk1v6e0c9t2r5o8k4m3n2b1",
            "destination": ["support@capgo.app"],
            "headersTruncated": False,
            "headers": [{"name": "Message-ID", "value": "<hook-1@mail.acme.test>"}],
            "commonHeaders": {
                "from": ["Dewi Developer <dewi@acme.test>"],
                "to": ["support@capgo.app"],
                "messageId": "<hook-1@mail.acme.test>",
                "subject": "Live updates never download",
            },
        },
        "receipt": {
            "timestamp": "2026-11-24T02:15:00.000Z",
            "processingTimeMillis": 420,
            "recipients": ["support@capgo.app"],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "spfVerdict": {"status": "PASS"},
            "dkimVerdict": {"status": "PASS"},
            "dmarcVerdict": {"status": "PASS"},
            "action": {
                "type": "SNS",
                "topicArn": "arn:aws:sns:us-east-1:123456789012:capdesk-inbound",
                "encoding": "BASE64",
            },
        },
        "content": base64.b64encode(RAW).decode(),
    }
    sns = {
        "Type": "Notification",
        "MessageId": "8a7e1f0c-77b4-5b9c-a2f6-0d6c9e0b1a2b",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:capdesk-inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(notification),
        "Timestamp": "2026-11-24T02:15:00.500Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+..",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    headers: dict[str, Any] = {
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": sns["MessageId"],
        "HTTP_X_AMZ_SNS_TOPIC_ARN": sns["TopicArn"],
    }
    if auth:
        headers["HTTP_AUTHORIZATION"] = auth
    response = client.post(
        "/hooks/email/amazon_ses/", json.dumps(sns), content_type="text/plain; charset=UTF-8", **headers
    )
    return response.status_code


def test_it_stores_the_raw_message_from_an_amazon_ses_notification(client, db) -> None:
    assert ses(client, basic(SECRET)) == 200
    assert bytes(stored().raw) == ENVELOPE + RAW


def test_it_asks_amazon_sns_for_credentials_and_refuses_wrong_ones(client, db) -> None:
    # SNS sends basic auth only after a 401 challenge.
    assert ses(client, None) == 401
    assert ses(client, basic("capdesk:guess")) == 400
    assert not InboundRequest.objects.exists()


def sendgrid(client: Client, auth: str) -> int:
    form = {
        "email": RAW.decode(),
        "envelope": json.dumps({"to": ["support@capgo.app"], "from": "dewi@acme.test"}),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
        "spam_score": "0.1",
        "SPF": "pass",
        "dkim": "{@acme.test : pass}",
        "sender_ip": "192.0.2.10",
    }
    return client.post("/hooks/email/sendgrid/", form, HTTP_AUTHORIZATION=auth).status_code


def test_it_stores_the_raw_message_from_a_sendgrid_inbound_parse_post(client, db) -> None:
    assert sendgrid(client, basic(SECRET)) == 200
    assert bytes(stored().raw) == ENVELOPE + RAW


def test_it_refuses_a_sendgrid_post_with_the_wrong_password(client, db) -> None:
    assert sendgrid(client, basic("someone:else")) == 400
    assert not InboundRequest.objects.exists()


def test_it_counts_a_provider_retry_once(client, db) -> None:
    assert postmark(client, basic(SECRET)) == 200
    assert postmark(client, basic(SECRET)) == 200
    assert stored().duplicates == 1


def test_it_switches_off_a_provider_whose_secret_is_not_set(client, db, settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": "", "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    assert postmark(client, basic(SECRET)) == 404
    assert mailgun(client, SIGNING_KEY) == 404
    assert client.post("/hooks/email/nosuchprovider/", {}).status_code == 404
    assert not InboundRequest.objects.exists()


def test_it_stores_nothing_for_an_sns_subscription_confirmation(client, db, caplog) -> None:
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e2425e2e2b0f5e3e3c",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:capdesk-inbound",
        "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-east-1:123456789012:capdesk-inbound.",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f",
        "Timestamp": "2026-11-24T02:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE..",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
    }
    response = client.post(
        "/hooks/email/amazon_ses/",
        json.dumps(confirmation),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="SubscriptionConfirmation",
        HTTP_X_AMZ_SNS_MESSAGE_ID=confirmation["MessageId"],
        HTTP_AUTHORIZATION=basic(SECRET),
    )
    assert response.status_code == 200
    assert not InboundRequest.objects.exists()
    # No boto3 here: an admin opens the logged SubscribeURL once.
    assert [r.subscribe_url for r in caplog.records if r.msg == "intake.ses_subscription_pending"] == [
        confirmation["SubscribeURL"]
    ]


def test_a_bounce_a_provider_received_with_a_null_sender_opens_no_ticket(client, db) -> None:
    assert postmark(client, basic(SECRET), return_path="<>") == 200
    request = stored()
    assert bytes(request.raw).startswith(b"Return-Path: <>\r\nDelivered-To: support@capgo.app\r\n")
    actions.process(request.pk)
    request.refresh_from_db()
    assert request.reason == "automatic message ignored (null sender (Return-Path: <>))"
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()
