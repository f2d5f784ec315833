"""A DNS server on 127.0.0.1 that answers TXT queries from a dict: DKIM keys without the network."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class DnsStub:
    """Answers ``records[name] = txt`` over UDP; any other name is NXDOMAIN."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        self.queries: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.queries.append(name)
            txt = self.records.get(name)
            if txt is None or question.rdtype != dns.rdatatype.TXT:
                response.set_rcode(dns.rcode.NXDOMAIN)
            else:
                # TXT strings are at most 255 bytes each (RFC 1035 3.3.14); a 2048-bit key is longer.
                chunks = " ".join(f'"{txt[i : i + 200]}"' for i in range(0, len(txt), 200))
                response.answer.append(
                    dns.rrset.from_text(question.name, 60, dns.rdataclass.IN, dns.rdatatype.TXT, chunks)
                )
            self._sock.sendto(response.to_wire(), peer)

    @contextmanager
    def running(self) -> Iterator[DnsStub]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=2)
            self._sock.close()
