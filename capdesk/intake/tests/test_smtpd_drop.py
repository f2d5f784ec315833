"""A client that goes away, or goes quiet, in the middle of DATA: nothing is stored, and the next one is served.

Real SMTP sessions on 127.0.0.1, the broken client written by hand on a plain socket
(smtplib always finishes what it starts). Committed data (``transactional_db``), as
in test_smtpd.py, since the receiver stores from its own threads.
"""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from capdesk.intake.models import InboundRequest
from capdesk.intake.smtpd import SmtpReceiver
from capdesk.tickets.models import Ticket

SAMPLES = Path(__file__).parent / "samples"
SUPPORT = "support@capgo.app"


def attachment_message() -> bytes:
    return (SAMPLES / "attachment.eml").read_bytes().replace(b"\n", b"\r\n")


def plain_message() -> bytes:
    return (SAMPLES / "plain.eml").read_bytes().replace(b"\n", b"\r\n")


class LineClient:
    """Just enough SMTP on a socket to start DATA and then misbehave."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=10)
        self.buffer = b""

    def reply(self) -> bytes:
        """One whole reply (multi-line replies end at the line with a space after the code)."""
        while True:
            lines = self.buffer.split(b"\r\n")
            for i, line in enumerate(lines[:-1]):
                if len(line) >= 4 and line[3:4] == b" ":
                    self.buffer = b"\r\n".join(lines[i + 1 :])
                    return line
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk

    def command(self, line: str) -> bytes:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def start_data(self) -> None:
        assert self.reply().startswith(b"220")
        assert self.command("EHLO client.acme.test").startswith(b"250")
        assert self.command("MAIL FROM:<dewi@acme.test>").startswith(b"250")
        assert self.command(f"RCPT TO:<{SUPPORT}>").startswith(b"250")
        assert self.command("DATA").startswith(b"354")

    def closed_by_server(self) -> bool:
        """Whether the server hung up: the socket reads end-of-file (or is reset)."""
        try:
            return self.sock.recv(4096) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def receiver(transactional_db: None) -> Iterator[SmtpReceiver]:
    with SmtpReceiver("127.0.0.1", 0) as running:
        yield running


# What the receiver writes on top of each message sent by ``send_whole`` (intake.envelope).
ENVELOPE = b"Return-Path: <dewi@acme.test>\r\nDelivered-To: support@capgo.app\r\n"


def send_whole(receiver: SmtpReceiver, raw: bytes) -> dict[str, tuple[int, bytes]]:
    host, port = receiver.address
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        return smtp.sendmail("dewi@acme.test", [SUPPORT], raw)


def hang_up_mid_data(receiver: SmtpReceiver, sent: bytes) -> None:
    client = LineClient(receiver.address)
    client.start_data()
    client.sock.sendall(sent)
    client.close()


def test_it_stores_nothing_from_a_client_that_hangs_up_halfway_through_data(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    raw = attachment_message()
    hang_up_mid_data(receiver, raw[: len(raw) // 2])
    # The next session goes through the same event loop after the hang-up: once it has its
    # 250, the dropped session has long been dealt with.
    assert send_whole(receiver, plain_message()) == {}
    request = InboundRequest.objects.get()
    assert bytes(request.raw) == ENVELOPE + plain_message()
    run_worker()
    assert Ticket.objects.get().inbound_requests.get() == request  # and no ticket from half a message


def test_it_keeps_serving_after_several_clients_hung_up_mid_data(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    raw = attachment_message()
    for cut in (10, len(raw) // 3, len(raw) - 10):
        hang_up_mid_data(receiver, raw[:cut])
    assert send_whole(receiver, attachment_message()) == {}
    assert bytes(InboundRequest.objects.get().raw) == ENVELOPE + attachment_message()
    run_worker()
    assert Ticket.objects.count() == 1


def test_it_does_not_take_a_message_that_was_cut_just_before_the_final_dot(
    receiver: SmtpReceiver, run_worker: Callable[[], None]
) -> None:
    hang_up_mid_data(receiver, plain_message())  # the whole text, but never the "." that ends DATA
    assert send_whole(receiver, attachment_message()) == {}
    assert bytes(InboundRequest.objects.get().raw) == ENVELOPE + attachment_message()


def test_it_hangs_up_on_a_client_that_stalls_mid_data_and_stores_nothing(
    settings: Settings, transactional_db: None
) -> None:
    settings.CAPDESK_SMTP_TIMEOUT = 1
    raw = attachment_message()
    with SmtpReceiver("127.0.0.1", 0) as receiver:
        client = LineClient(receiver.address)
        client.start_data()
        started = time.monotonic()
        client.sock.sendall(raw[: len(raw) // 2])
        # The client now says nothing more; the socket's own 10 s timeout bounds the wait.
        assert client.closed_by_server()
        waited = time.monotonic() - started
        client.close()
        assert 0.5 < waited < 5
        assert not InboundRequest.objects.exists()
        # The receiver is still there for the next client.
        assert send_whole(receiver, plain_message()) == {}
    assert bytes(InboundRequest.objects.get().raw) == ENVELOPE + plain_message()
