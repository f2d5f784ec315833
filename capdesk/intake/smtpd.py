"""The SMTP receiver: mail for the support address is stored by ``intake.receive`` before the 250.

Once a server answers 250 to DATA it has taken responsibility for the message (RFC
5321 6.1), so the answer waits until ``receive`` has committed the row. When storing
fails the answer is 451 and the sending MTA keeps the message and tries again; a
repeat that did get stored is recognised by its Message-ID and only counted.

``SmtpReceiver`` runs the server in a background thread, so ``capdesk smtpd`` and the
tests start the same code (the tests on a free port on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connections

from capdesk.intake import actions
from capdesk.intake.envelope import with_envelope
from capdesk.intake.mail_parsing import read_identity
from capdesk.tickets.reply_address import split_plus

logger = logging.getLogger(__name__)

# Database work runs in these threads, never on the event loop: a slow commit must not
# stall every other SMTP session. A few are plenty; mail arrives at human rates.
STORE_THREADS = 4


def accepted_recipients() -> frozenset[str]:
    """The support address and its aliases, compared case-insensitively as mail systems do in practice."""
    addresses = [settings.CAPDESK_SUPPORT_ADDRESS, *settings.CAPDESK_SUPPORT_ALIASES]
    return frozenset(a.strip().lower() for a in addresses if a.strip())


def tls_context() -> ssl.SSLContext | None:
    """The STARTTLS context from CAPDESK_SMTP_TLS_CERT/KEY, or None when neither is set."""
    cert, key = settings.CAPDESK_SMTP_TLS_CERT, settings.CAPDESK_SMTP_TLS_KEY
    if not cert and not key:
        return None
    for name, value in (("CAPDESK_SMTP_TLS_CERT", cert), ("CAPDESK_SMTP_TLS_KEY", key)):
        if not value or not Path(value).is_file():
            raise ImproperlyConfigured(f"{name} must name a PEM file for STARTTLS, got {value!r}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ImproperlyConfigured(f"cannot load the STARTTLS certificate or key: {exc}") from None
    return context


def store_message(raw: bytes) -> actions.Receipt:
    """Hand one message to ``receive``; runs in a worker thread, which owns its database connection."""
    identity = read_identity(raw)
    # Each store thread keeps its connection between messages (CONN_MAX_AGE): reconnecting
    # per message cost 20.7 ms against 2.9 ms per store on SQLite (bench/intake_bench.py).
    # close_old_connections() drops one that is too old or broken; SmtpReceiver.stop()
    # closes them all, so none outlives the receiver (a PostgreSQL slot, the test DB's DROP).
    close_old_connections()
    return actions.receive(
        channel="email",
        raw=raw,
        idempotency_key=identity.message_id,
        claimed_sender=identity.from_address,
        subject=identity.subject,
    )


def _close_in_every_store_thread(executor: ThreadPoolExecutor) -> None:
    """Run ``connections.close_all()`` once in each store thread (connections are per thread).

    Each task waits at a barrier, so no thread can take two of them: the pool has to hand
    one to every thread it has, or start new ones, which have nothing to close.
    """
    barrier = threading.Barrier(STORE_THREADS)

    def close() -> None:
        connections.close_all()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)

    for future in [executor.submit(close) for _ in range(STORE_THREADS)]:
        with contextlib.suppress(Exception):
            future.result(timeout=10)


class SupportMailHandler:
    """aiosmtpd hooks: which recipients we accept, and storing the message before answering."""

    def __init__(self, recipients: frozenset[str], executor: ThreadPoolExecutor) -> None:
        self.recipients = recipients
        self.executor = executor
        self.in_flight = 0  # DATA commands being stored; read by SmtpReceiver.stop()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        # support+<token>@ is the per-ticket reply address (tickets.reply_address): accepted
        # like the base address; intake reads the token from the message's headers.
        lowered = address.strip().lower()
        if lowered not in self.recipients and split_plus(lowered)[0] not in self.recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None:  # only when aiosmtpd decodes data, which this receiver never asks for
            content = envelope.content
            raw = content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content or b""
        # The envelope goes on top, as a local delivery writes it (intake.envelope): the
        # reply token of a Bcc'd reply address, and a bounce's null sender, are only there.
        raw = with_envelope(raw, sender=envelope.mail_from, recipients=envelope.rcpt_tos)
        self.in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            receipt = await loop.run_in_executor(self.executor, store_message, raw)
        except Exception:
            # Any failure to store (database down or locked, disk full, a bug): not accepted,
            # so the sender retries and nothing is lost.
            logger.exception("intake.smtp_store_failed", extra={"bytes": len(raw)})
            return "451 4.3.0 Could not store the message now; please try again later"
        finally:
            self.in_flight -= 1
        logger.info(
            "intake.smtp_accepted",
            extra={"request_id": receipt.request.pk, "duplicate": receipt.duplicate, "bytes": len(raw)},
        )
        return "250 2.0.0 Message accepted"


class _SupportSMTP(SMTP):
    async def push(self, status: AnyStr) -> None:
        # aiosmtpd answers an oversized message (declared in MAIL FROM SIZE= or sent in DATA)
        # with a bare "552 Error: ...". Add RFC 3463's code, so the sender's bounce says why.
        if isinstance(status, str) and status.startswith("552 Error"):
            await super().push("552 5.3.4 Message too big for this system")
            return
        await super().push(status)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _SupportSMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # Port 0 asks the OS for a free port; learn which one before aiosmtpd connects to itself.
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it unannotated


class SmtpReceiver:
    """The support mailbox's SMTP server, running in a background thread until ``stop``."""

    def __init__(self, host: str | None = None, port: int | None = None, *, ready_timeout: float = 10.0):
        self.executor = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="smtpd-store")
        self.handler = SupportMailHandler(accepted_recipients(), self.executor)
        self.controller = _Controller(
            self.handler,
            hostname=settings.CAPDESK_SMTP_HOST if host is None else host,
            port=settings.CAPDESK_SMTP_PORT if port is None else port,
            ready_timeout=ready_timeout,
            # Looked up once here: aiosmtpd would otherwise ask DNS for it on every connection.
            server_hostname=socket.getfqdn(),
            ident="Capdesk",
            data_size_limit=settings.CAPDESK_MAX_MESSAGE_BYTES,
            # aiosmtpd counts from the last command, so a client stalled inside DATA is cut
            # off too, and the half-sent message is never handed to handle_DATA.
            timeout=settings.CAPDESK_SMTP_TIMEOUT,
            tls_context=tls_context(),
        )

    @property
    def address(self) -> tuple[str, int]:
        return self.controller.hostname, self.controller.port

    def start(self) -> tuple[str, int]:
        """Listen; returns the address, with the real port when 0 was asked for."""
        self.controller.start()
        logger.info("intake.smtpd_listening", extra={"host": self.address[0], "port": self.address[1]})
        return self.address

    def stop(self, grace: float = 8.0) -> None:
        """Stop accepting connections, let messages being stored get their answer, then stop.

        ``grace`` stays under ``capdesk run``'s 10 seconds before it kills a child. A
        session cut off after that never got its 250, so its sender retries.
        """
        server = self.controller.server
        if server is not None:
            self.controller.loop.call_soon_threadsafe(server.close)
        deadline = time.monotonic() + grace
        while self.handler.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        self.controller.stop(no_assert=True)
        _close_in_every_store_thread(self.executor)
        self.executor.shutdown(wait=True, cancel_futures=True)
        logger.info("intake.smtpd_stopped")

    def __enter__(self) -> SmtpReceiver:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
