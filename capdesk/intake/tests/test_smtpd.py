"""The SMTP receiver, through real SMTP sessions on 127.0.0.1.

The receiver stores from its own threads, so these tests use committed data
(``transactional_db``), as a sending MTA and the worker would see it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import select
import signal
import smtplib
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from pytest_django.fixtures import Settings

from capdesk.intake.models import InboundRequest
from capdesk.intake.smtpd import SmtpReceiver
from capdesk.tickets.models import Ticket

SAMPLES = Path(__file__).parent / "samples"
SUPPORT = "support@capgo.app"


def plain_message() -> bytes:
    # On the wire every line ends in CRLF (RFC 5321 2.3.8); smtplib leaves bytes as they are.
    return (SAMPLES / "plain.eml").read_bytes().replace(b"\n", b"\r\n")


@pytest.fixture
def receiver(transactional_db: None) -> Iterator[SmtpReceiver]:
    """The receiver with the settings as they are when the test starts, on a free port."""
    with SmtpReceiver("127.0.0.1", 0) as running:
        yield running


@contextmanager
def smtp_session(receiver: SmtpReceiver) -> Iterator[smtplib.SMTP]:
    host, port = receiver.address
    with smtplib.SMTP(host, port, timeout=30) as session:
        yield session


@contextmanager
def database_refusing_the_receiver() -> Iterator[None]:
    """Make storing fail for a real reason: this thread holds an exclusive lock on the table.

    SQLite: the settings' BEGIN IMMEDIATE takes the write lock, and the shared-cache
    test database answers "locked" at once instead of waiting. PostgreSQL: the table is
    locked, and new connections (the receiver opens one per message) give up after
    lock_timeout, as a receiver stuck behind a long migration would.
    """
    if connection.vendor == "sqlite":
        with transaction.atomic():
            InboundRequest.objects.exists()
            yield
    elif connection.vendor == "postgresql":
        name = connection.ops.quote_name(str(connection.settings_dict["NAME"]))
        table = connection.ops.quote_name(InboundRequest._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} SET lock_timeout = '300ms'")
            try:
                with transaction.atomic():
                    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                    yield
            finally:
                cursor.execute(f"ALTER DATABASE {name} RESET lock_timeout")
    else:
        pytest.skip(f"no way to make {connection.vendor} refuse the receiver")


def test_it_stores_a_message_before_answering_250_and_the_worker_makes_a_ticket(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    with smtp_session(receiver) as smtp:
        refused = smtp.sendmail("dewi@acme.test", [SUPPORT], plain_message())
    assert refused == {}
    request = InboundRequest.objects.get()
    assert request.channel == "email"
    assert request.state == InboundRequest.State.PENDING
    assert request.idempotency_key == "<plain-1@mail.acme.test>"
    assert request.claimed_sender == "dewi@acme.test"
    # Exactly as it arrived, under the envelope a local delivery writes (intake.envelope).
    envelope = b"Return-Path: <dewi@acme.test>\r\nDelivered-To: support@capgo.app\r\n"
    assert bytes(request.raw) == envelope + plain_message()
    run_worker()
    ticket = Ticket.objects.get()
    assert ticket.subject == "Live updates never download"
    assert ticket.inbound_requests.get() == request


def test_it_accepts_mail_for_an_alias_in_any_case(settings: Settings, transactional_db: None) -> None:
    settings.CAPDESK_SUPPORT_ALIASES = ["help@capgo.app"]
    with SmtpReceiver("127.0.0.1", 0) as receiver, smtp_session(receiver) as smtp:
        assert smtp.sendmail("dewi@acme.test", ["Help@Capgo.App"], plain_message()) == {}
        assert smtp.sendmail("dewi@acme.test", ["SUPPORT@capgo.app"], plain_message()) == {}
    assert InboundRequest.objects.get().duplicates == 1


def test_it_refuses_mail_for_any_other_recipient_with_550(receiver: SmtpReceiver) -> None:
    with smtp_session(receiver) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp.sendmail("dewi@acme.test", ["sales@capgo.app", "support@other.test"], plain_message())
    for code, text in refused.value.recipients.values():
        assert code == 550
        assert text.startswith(b"5.1.1 ")
    assert not InboundRequest.objects.exists()


def test_it_takes_a_message_for_the_support_address_among_refused_recipients(receiver: SmtpReceiver) -> None:
    with smtp_session(receiver) as smtp:
        refused = smtp.sendmail("dewi@acme.test", ["sales@capgo.app", SUPPORT], plain_message())
    assert set(refused) == {"sales@capgo.app"}
    assert InboundRequest.objects.count() == 1


def test_it_advertises_its_size_limit_and_refuses_bigger_mail_with_552(
    settings: Settings, transactional_db: None
) -> None:
    settings.CAPDESK_MAX_MESSAGE_BYTES = 2048
    big = plain_message() + (b"x" * 76 + b"\r\n") * 40
    with SmtpReceiver("127.0.0.1", 0) as receiver, smtp_session(receiver) as smtp:
        smtp.ehlo()
        assert smtp.esmtp_features["size"] == "2048"
        # A client that declares the size is refused at MAIL FROM ...
        with pytest.raises(smtplib.SMTPSenderRefused) as declared:
            smtp.sendmail("dewi@acme.test", [SUPPORT], big)
        assert declared.value.smtp_code == 552
        assert declared.value.smtp_error.startswith(b"5.3.4 ")
        # ... one that does not is refused after DATA, and the session goes on.
        smtp.rset()
        assert smtp.mail("dewi@acme.test")[0] == 250
        assert smtp.rcpt(SUPPORT)[0] == 250
        code, text = smtp.data(big)
        assert (code, text[:6]) == (552, b"5.3.4 ")
        assert not InboundRequest.objects.exists()
        assert smtp.sendmail("dewi@acme.test", [SUPPORT], plain_message()) == {}
    assert InboundRequest.objects.count() == 1


def test_it_counts_the_same_message_id_delivered_twice_as_a_duplicate(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    for _ in range(2):  # two sessions, as an MTA retrying after a lost 250 would
        with smtp_session(receiver) as smtp:
            smtp.sendmail("dewi@acme.test", [SUPPORT], plain_message())
    run_worker()
    assert InboundRequest.objects.get().duplicates == 1
    assert Ticket.objects.count() == 1


def test_it_answers_451_when_the_database_cannot_store_and_loses_nothing(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    with smtp_session(receiver) as smtp:
        with database_refusing_the_receiver(), pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("dewi@acme.test", [SUPPORT], plain_message())
        assert refused.value.smtp_code == 451
        assert refused.value.smtp_error[:6] == b"4.3.0 "
        assert not InboundRequest.objects.exists()
        # The sending MTA kept the message and tries again once the database is back.
        assert smtp.sendmail("dewi@acme.test", [SUPPORT], plain_message()) == {}
    run_worker()
    request = InboundRequest.objects.get()
    assert request.duplicates == 0
    assert request.ticket == Ticket.objects.get()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "capdesk test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtpd.crt", tmp_path / "smtpd.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_it_offers_starttls_with_the_configured_certificate(
    settings: Settings, transactional_db: None, certificate: tuple[Path, Path]
) -> None:
    settings.CAPDESK_SMTP_TLS_CERT, settings.CAPDESK_SMTP_TLS_KEY = map(str, certificate)
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    with SmtpReceiver("127.0.0.1", 0) as receiver, smtp_session(receiver) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        assert smtp.starttls(context=trusting)[0] == 220
        assert smtp.sendmail("dewi@acme.test", [SUPPORT], plain_message()) == {}
    assert InboundRequest.objects.count() == 1


def test_it_refuses_to_start_with_a_certificate_but_no_key(
    settings: Settings, certificate: tuple[Path, Path]
) -> None:
    settings.CAPDESK_SMTP_TLS_CERT = str(certificate[0])
    settings.CAPDESK_SMTP_TLS_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="CAPDESK_SMTP_TLS_KEY"):
        SmtpReceiver("127.0.0.1", 0)


def test_the_command_stores_mail_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    # Its own process and its own SQLite database: the command as `capdesk run` starts it.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"CAPDESK_DATA_DIR": str(tmp_path)}
    capdesk = [sys.executable, "-m", "capdesk.cli"]
    subprocess.run([*capdesk, "migrate", "-v", "0"], env=env, check=True, timeout=120)  # noqa: S603
    with (tmp_path / "smtpd.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [*capdesk, "smtpd", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, "capdesk smtpd did not start"
            port = int(process.stdout.readline().rsplit(b":", 1)[1])
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                assert smtp.sendmail("dewi@acme.test", [SUPPORT], plain_message()) == {}
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
            assert process.stdout.read().strip() == b"capdesk smtpd: stopped"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    with sqlite3.connect(tmp_path / "capdesk.sqlite3") as db:
        rows = db.execute("SELECT claimed_sender, idempotency_key FROM intake_inboundrequest").fetchall()
    assert rows == [("dewi@acme.test", "<plain-1@mail.acme.test>")]
