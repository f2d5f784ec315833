"""A small IMAP4rev1 server on 127.0.0.1, enough for imapclient: one mailbox, UIDs, flags, IDLE.

It speaks CAPABILITY, LOGIN, SELECT, UID SEARCH (ALL/UNSEEN), UID FETCH (BODY.PEEK[],
RFC822.SIZE, FLAGS), UID STORE +FLAGS, IDLE/DONE, NOOP and LOGOUT; it can drop the
connection at a chosen moment, to show the poller resumes.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Mail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class ImapServer:
    def __init__(self, *, user: str = "support", password: str = "secret", idle: bool = True) -> None:  # noqa: S107
        self.user, self.password, self.idle = user, password, idle
        self.mails: list[Mail] = []
        self.commands: list[str] = []
        self.connections = 0
        # Close the connection right after answering the next UID FETCH (a dropped link).
        self.drop_after_fetch = 0
        # Called on each UID STORE before it is applied; its result is recorded in ``at_store``.
        self.on_store: Callable[[], object] | None = None
        self.at_store: list[object] = []
        self._loop = asyncio.new_event_loop()
        self._idlers: set[asyncio.StreamWriter] = set()
        self._lock = threading.Lock()
        self.port = 0

    def add(self, raw: bytes) -> None:
        """Deliver a message; connections in IDLE hear about it at once (RFC 2177)."""
        with self._lock:
            self.mails.append(Mail(len(self.mails) + 1, raw))
            count = len(self.mails)
        self._loop.call_soon_threadsafe(self._announce, count)

    @property
    def idling(self) -> int:
        """Sessions in IDLE now: mail added from here on is announced to them."""
        return len(self._idlers)

    def _announce(self, count: int) -> None:
        for writer in list(self._idlers):
            writer.write(f"* {count} EXISTS\r\n".encode())

    @contextmanager
    def running(self) -> Iterator[ImapServer]:
        started = threading.Event()

        async def start() -> asyncio.Server:
            server = await asyncio.start_server(self._session, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            return server

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(start())
            started.set()
            self._loop.run_forever()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        started.wait(5)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            thread.join(5)
            self._loop.close()

    async def _shutdown(self) -> None:
        self._server.close()
        sessions = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        caps = "IMAP4rev1 UIDPLUS" + (" IDLE" if self.idle else "")
        writer.write(b"* OK ready\r\n")
        try:
            while line := await reader.readline():
                text = line.decode().rstrip("\r\n")
                self.commands.append(text)
                tag, _, rest = text.partition(" ")
                verb, _, args = rest.partition(" ")
                verb = verb.upper()
                if verb == "UID":
                    verb, _, args = args.partition(" ")
                    verb = "UID " + verb.upper()
                if verb == "CAPABILITY":
                    writer.write(f"* CAPABILITY {caps}\r\n{tag} OK done\r\n".encode())
                elif verb == "LOGIN":
                    user, password = (a.strip('"') for a in args.split(" ", 1))
                    ok = (user, password) == (self.user, self.password)
                    writer.write(f"{tag} {'OK' if ok else 'NO'} login\r\n".encode())
                elif verb in ("SELECT", "EXAMINE"):
                    writer.write(
                        f"* {len(self.mails)} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
                        f"* OK [UIDNEXT {len(self.mails) + 1}] ok\r\n* FLAGS (\\Seen \\Deleted)\r\n"
                        f"{tag} OK [READ-WRITE] selected\r\n".encode()
                    )
                elif verb == "UID SEARCH":
                    unseen = "UNSEEN" in args.upper()
                    uids = [str(m.uid) for m in self.mails if not (unseen and "\\Seen" in m.flags)]
                    writer.write(f"* SEARCH {' '.join(uids)}\r\n{tag} OK done\r\n".encode())
                elif verb == "UID FETCH":
                    await self._fetch(tag, args, writer)
                    if self.drop_after_fetch:
                        self.drop_after_fetch -= 1
                        await writer.drain()
                        writer.close()
                        return
                elif verb == "UID STORE":
                    if self.on_store is not None:
                        result = await asyncio.get_running_loop().run_in_executor(None, self.on_store)
                        self.at_store.append(result)
                    uid_set, _, flags = args.partition(" ")
                    for mail in self._select(uid_set):
                        mail.flags.update(re.findall(r"\\\w+", flags))
                        writer.write(
                            f"* {mail.uid} FETCH (UID {mail.uid} FLAGS ({' '.join(sorted(mail.flags))}))\r\n".encode()
                        )
                    writer.write(f"{tag} OK stored\r\n".encode())
                elif verb == "IDLE":
                    writer.write(b"+ idling\r\n")
                    self._idlers.add(writer)
                    await writer.drain()
                    done = await reader.readline()
                    self._idlers.discard(writer)
                    if not done:
                        return
                    writer.write(f"{tag} OK idle done\r\n".encode())
                elif verb == "NOOP":
                    writer.write(f"* {len(self.mails)} EXISTS\r\n{tag} OK noop\r\n".encode())
                elif verb == "LOGOUT":
                    writer.write(f"* BYE\r\n{tag} OK bye\r\n".encode())
                    await writer.drain()
                    return
                else:
                    writer.write(f"{tag} BAD unknown command\r\n".encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self._idlers.discard(writer)
            writer.close()

    def _select(self, uid_set: str) -> list[Mail]:
        wanted: set[int] = set()
        top = len(self.mails)
        for part in uid_set.split(","):
            low, _, high = part.partition(":")
            start = int(low)
            end = top if high == "*" else int(high or low)
            wanted.update(range(start, end + 1))
        return [m for m in self.mails if m.uid in wanted]

    async def _fetch(self, tag: str, args: str, writer: asyncio.StreamWriter) -> None:
        uid_set, _, items = args.partition(" ")
        items = items.upper()
        for mail in self._select(uid_set):
            parts = [f"UID {mail.uid}"]
            if "RFC822.SIZE" in items:
                parts.append(f"RFC822.SIZE {len(mail.raw)}")
            if "FLAGS" in items:
                parts.append(f"FLAGS ({' '.join(sorted(mail.flags))})")
            head = f"* {mail.uid} FETCH ({' '.join(parts)}".encode()
            if "BODY.PEEK[]" in items or "BODY[]" in items:
                head += f" BODY[] {{{len(mail.raw)}}}\r\n".encode() + mail.raw
            writer.write(head + b")\r\n")
        writer.write(f"{tag} OK fetched\r\n".encode())
