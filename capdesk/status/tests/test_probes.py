"""Probes against real sockets on 127.0.0.1: bounded, concurrent, and honest about failures."""

import asyncio
import socket
import time

from capdesk.status.probes import Spec, probe, probe_all

from .target import closed_port, http_target


def _run(spec):
    return asyncio.run(probe(spec))


def test_an_http_probe_checks_status_keyword_and_latency():
    with http_target() as base:
        assert _run(Spec("http", f"{base}/ok", timeout=2, keyword="all systems go")).ok
        assert _run(Spec("http", f"{base}/chunked", timeout=2, keyword="all systems go")).ok
        wrong = _run(Spec("http", f"{base}/500", timeout=2))
        assert not wrong.ok and "HTTP 500, expected 200" in wrong.error
        assert _run(Spec("http", f"{base}/500", timeout=2, expected_status=500)).ok
        missing = _run(Spec("http", f"{base}/ok", timeout=2, keyword="maintenance"))
        assert not missing.ok and "keyword" in missing.error
        slow = _run(Spec("http", f"{base}/slow", timeout=2, max_latency_ms=100))
        assert not slow.ok and slow.error.startswith("slow:")


def test_a_hanging_target_times_out_without_delaying_the_others():
    # Eight hanging targets of 0.5 s each: one after another they would take 4 s; probed
    # together, about 0.5 s. The bound sits between, with room for a loaded machine.
    hanging = 8
    with http_target() as base:
        specs = [Spec("http", f"{base}/hang", timeout=0.5)] * hanging + [
            Spec("http", f"{base}/ok", timeout=2)
        ] * 20
        started = time.monotonic()
        outcomes = asyncio.run(probe_all(specs))
        elapsed = time.monotonic() - started
    assert all(not o.ok and "timed out" in o.error for o in outcomes[:hanging])
    assert all(o.ok for o in outcomes[hanging:])
    assert elapsed < 3.0


def test_a_tcp_probe_connects_or_reports_the_refusal():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert _run(Spec("tcp", f"127.0.0.1:{port}", timeout=1)).ok
    refused = _run(Spec("tcp", f"127.0.0.1:{closed_port()}", timeout=1))
    assert not refused.ok and "ConnectionRefused" in refused.error
    assert not _run(Spec("tcp", "no-port-here", timeout=1)).ok


def test_retries_give_a_flaky_target_another_chance_and_report_the_last_failure():
    port = closed_port()
    outcome = _run(Spec("tcp", f"127.0.0.1:{port}", timeout=1, retries=2))
    assert not outcome.ok


def test_a_dns_probe_resolves_or_fails():
    assert _run(Spec("dns", "localhost", timeout=2)).ok
    assert not _run(Spec("dns", "capdesk-test.invalid", timeout=2)).ok  # RFC 6761: never resolves
