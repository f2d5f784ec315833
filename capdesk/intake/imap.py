"""IMAP in: read unseen support mail, store it with ``intake.receive``, then mark or move it.

A message is marked (\\Seen) or moved only after ``receive`` has committed it, so a
crash or a dropped connection between the two leaves it unmarked: the next poll
fetches it again and ``receive`` recognises the repeat by its Message-ID (or bytes)
and only counts it. Nothing is lost, nothing is stored twice.

A message ``receive`` fails on for any other reason than a lost link or database is
quarantined with that reason instead (``_keep``), so one bad message never stops the
poller nor blocks the mailbox.

Fetching uses BODY.PEEK[], which does not set \\Seen (RFC 3501 6.4.5): reading alone
never hides a message from the next poll.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import IMAPClientError  # type: ignore[import-untyped]

from capdesk.intake import actions
from capdesk.intake.mail_parsing import read_identity

logger = logging.getLogger(__name__)

# Fetch this many messages per round trip: big enough to drain a backlog quickly, small
# enough that a batch of attachments does not sit in memory at once.
BATCH = 20
# RFC 2177: a client should re-issue IDLE at least every 29 minutes; servers drop idlers at 30.
IDLE_SECONDS = 25 * 60
# Errors that mean "the link or the server went away": reconnect, do not crash.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (OSError, IMAPClientError, ssl.SSLError, socket.timeout)
# What ``run`` recovers from by starting over: those, and a database that is briefly away.
RECOVERABLE: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, DatabaseError)


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    ssl: bool
    user: str
    password: str
    folder: str = "INBOX"
    done_folder: str = ""  # empty: flag \Seen and leave the message where it is

    @classmethod
    def from_settings(cls) -> Mailbox:
        return cls(
            host=settings.CAPDESK_IMAP_HOST,
            port=settings.CAPDESK_IMAP_PORT,
            ssl=settings.CAPDESK_IMAP_SSL,
            user=settings.CAPDESK_IMAP_USER,
            password=settings.CAPDESK_IMAP_PASSWORD,
            folder=settings.CAPDESK_IMAP_FOLDER,
            done_folder=settings.CAPDESK_IMAP_DONE_FOLDER,
        )


class ImapPoller:
    """One connection to one mailbox; ``poll_once`` does one unit of work, ``run`` loops until stopped."""

    def __init__(self, mailbox: Mailbox, *, timeout: float = 60.0) -> None:
        self.mailbox = mailbox
        self.timeout = timeout
        self.client: Any = None

    def connect(self) -> None:
        client = IMAPClient(
            self.mailbox.host, port=self.mailbox.port, ssl=self.mailbox.ssl, timeout=self.timeout
        )
        client.login(self.mailbox.user, self.mailbox.password)
        client.select_folder(self.mailbox.folder)
        self.client = client
        logger.info("intake.imap_connected", extra={"host": self.mailbox.host, "folder": self.mailbox.folder})

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the link is already gone; closing the socket is all that is left
            with contextlib.suppress(Exception):
                client.shutdown()

    def poll_once(self) -> int:
        """Store every unseen message in the folder; returns how many were stored (repeats and quarantined included)."""
        if self.client is None:
            self.connect()
        criteria = ["ALL"] if self.mailbox.done_folder else ["UNSEEN"]
        uids: list[int] = sorted(self.client.search(criteria))
        handled = 0
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            for uid, data in self.client.fetch(batch, ["BODY.PEEK[]", "RFC822.SIZE"]).items():
                raw = data.get(b"BODY[]")
                if not isinstance(raw, bytes):
                    continue
                if self._keep(uid, raw):
                    self._done(uid)
                    handled += 1
        return handled

    def _keep(self, uid: int, raw: bytes) -> bool:
        """Store the message, or else quarantine its bytes; whether either committed.

        A message that ``receive`` cannot store for a reason other than a lost link or
        database (an unknown bug) must neither stop the poller nor block the mailbox
        behind it: it is kept as a quarantined request, with the error as its reason, for
        an admin to see (nothing is lost). If even that fails, it stays unmarked on the
        server and the next poll tries it again; the messages after it go on.
        """
        try:
            self._store(raw)
            return True
        except RECOVERABLE:
            raise  # ``run`` reconnects and starts over; what was not stored stays unmarked
        except Exception as exc:
            logger.exception("intake.imap_store_failed", extra={"uid": uid})
            reason = f"Could not be stored: {type(exc).__name__}: {exc}"
        try:
            receipt = actions.quarantine_unstored("email", raw, reason)
        except Exception:
            logger.exception("intake.imap_quarantine_failed", extra={"uid": uid})
            return False
        logger.warning(
            "intake.imap_quarantined",
            extra={"uid": uid, "request_id": receipt.request.pk, "duplicate": receipt.duplicate},
        )
        return True

    def _store(self, raw: bytes) -> None:
        identity = read_identity(raw)
        close_old_connections()
        receipt = actions.receive(
            channel="email",
            raw=raw,
            idempotency_key=identity.message_id,
            claimed_sender=identity.from_address,
            subject=identity.subject,
        )
        logger.info(
            "intake.imap_stored", extra={"request_id": receipt.request.pk, "duplicate": receipt.duplicate}
        )

    def _done(self, uid: int) -> None:
        # Only now, after receive() committed: mark or move (see the module docstring).
        if not self.mailbox.done_folder:
            self.client.add_flags([uid], [b"\\Seen"])
        elif self.client.has_capability("MOVE"):
            self.client.move([uid], self.mailbox.done_folder)
        else:
            self.client.copy([uid], self.mailbox.done_folder)
            self.client.delete_messages([uid])
            # UID EXPUNGE (RFC 4315) removes only this message, not others a person marked \Deleted.
            if self.client.has_capability("UIDPLUS"):
                self.client.uid_expunge([uid])
            else:
                self.client.expunge()

    def wait_for_mail(self, seconds: float, stop: threading.Event) -> None:
        """Block until the server announces new mail (IDLE) or ``seconds`` pass (plain polling)."""
        if not self.client.has_capability("IDLE"):
            stop.wait(seconds)
            return
        self.client.idle()
        try:
            # Wake at least every second to notice ``stop``; the server's EXISTS ends the wait early.
            waited = 0.0
            while waited < min(seconds, IDLE_SECONDS) and not stop.is_set():
                if self.client.idle_check(timeout=1):
                    break
                waited += 1
        finally:
            self.client.idle_done()

    def run(self, stop: threading.Event, *, interval: float = 60.0, max_backoff: float = 300.0) -> None:
        """Poll until ``stop`` is set; a lost connection is re-opened with growing pauses."""
        backoff = 1.0
        while not stop.is_set():
            try:
                self.poll_once()
                backoff = 1.0
                self.wait_for_mail(interval, stop)
            except RECOVERABLE as exc:
                # The IMAP link or the database went away. What was not stored stays unmarked
                # on the server, so starting over from a fresh connection loses nothing.
                logger.warning("intake.imap_disconnected", extra={"error": type(exc).__name__})
                self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff)
        self.close()
