"""What DKIM-signing the desk's mail costs, against the floor: bare dkimpy signing the same bytes.

Run: ``.venv/bin/python bench/dkim_bench.py [--count 300] [--rounds 5]``

Three passes over the same emails (an agent's reply: text, HTML, a 40 KB log attached),
each built by the outbox's own ``_BuiltOnce`` the way ``_message`` builds it:

- **build**: the MIME built, signing off (what every email costs without DKIM);
- **build + sign**: the same with ``CAPDESK_DKIM_SELECTOR`` set (``dkim_signing.Signer.sign``:
  the 8bit parts made quoted-printable, the header computed and added);
- **floor**: ``dkim.sign`` alone on the bytes of the already built message (what the
  library needs; signing cannot cost less).

The ratio (build + sign - build) / floor says how much the desk adds around the library.
In CPU time, interleaved, best of ``--rounds`` (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "capdesk.settings")

import django  # noqa: E402

django.setup()

import dkim  # type: ignore[import-untyped]  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from django.conf import settings  # noqa: E402

from capdesk.notify import actions, dkim_signing  # noqa: E402


def _email(n: int, signing: bool) -> actions._BuiltOnce:
    settings.CAPDESK_DKIM_SELECTOR = "bench" if signing else ""
    message = actions._BuiltOnce(
        subject=f"Re: [CAP-{1000 + n}] Bundle 1.4.{n} is not applied — ünïcode",
        body="Hello Dewi,\n\nThe log shows the bundle downloaded but never set. Try:\n\n" * 8,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[f"dewi{n}@acme.test"],
        headers={"Message-ID": f"<bench-{n}@capgo.app>", "In-Reply-To": f"<c-{n}@acme.test>"},
    )
    message.attach_alternative("<p>Hello Dewi,</p>" * 40, "text/html")
    message.attach("updater.log", b"[CapacitorUpdater] downloaded\n" * 1400, "text/plain")
    return message


def _cpu(fn: object, count: int) -> float:
    start = time.process_time()
    for n in range(count):
        fn(n)  # type: ignore[operator]
    return (time.process_time() - start) / count * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    settings.CAPDESK_DKIM_PRIVATE_KEY = pem
    settings.CAPDESK_DKIM_DOMAIN = "capgo.app"
    key = dkim_signing.load_key(pem)
    built = [_email(n, signing=False).message().as_bytes(linesep="\r\n") for n in range(args.count)]
    include = [h for h in dkim_signing.SIGNED_HEADERS if h != b"cc"] + list(dkim_signing.SEALED_HEADERS)

    passes = {
        "build": lambda n: _email(n, signing=False).message(),
        "build + sign": lambda n: _email(n, signing=True).message(),
        "floor: dkim.sign on the built bytes": lambda n: dkim.sign(
            built[n],
            b"bench",
            b"capgo.app",
            key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=include,
        ),
    }
    best = dict.fromkeys(passes, float("inf"))
    for _ in range(args.rounds):
        for name, fn in passes.items():
            best[name] = min(best[name], _cpu(fn, args.count))
    signing = best["build + sign"] - best["build"]
    floor = best["floor: dkim.sign on the built bytes"]
    print(
        f"N = {args.count} emails (text, HTML, a 42 KB attachment), best of {args.rounds}, CPU ms per email\n"
    )
    print("| pass | CPU ms / email |\n|---|---|")
    for name, ms in best.items():
        print(f"| {name} | {ms:.2f} |")
    print(f"\nsigning adds {signing:.2f} ms per email; the floor is {floor:.2f}: ratio {signing / floor:.2f}")


if __name__ == "__main__":
    main()
