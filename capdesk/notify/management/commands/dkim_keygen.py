"""Make a DKIM key pair for the desk's outgoing mail, and print what to configure and publish."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Generate an RSA key for DKIM-signing outgoing mail: prints the settings (the private key "
        "as one line with \\n escapes) and the DNS TXT record to publish at <selector>._domainkey.<domain>."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--selector", default="capdesk", help="The DKIM selector (default: capdesk).")
        parser.add_argument("--bits", type=int, default=2048, choices=[2048, 3072, 4096])

    def handle(self, *args: Any, **options: Any) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=options["bits"])
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        domain = settings.CAPDESK_DKIM_DOMAIN or settings.CAPDESK_SUPPORT_ADDRESS.rpartition("@")[2]
        selector = options["selector"]
        escaped = pem.strip().replace("\n", "\\n")
        self.stdout.write("# Settings (keep the key secret):")
        self.stdout.write(f"CAPDESK_DKIM_SELECTOR={selector}")
        self.stdout.write(f"CAPDESK_DKIM_DOMAIN={domain}")
        self.stdout.write(f'CAPDESK_DKIM_PRIVATE_KEY="{escaped}"')
        self.stdout.write("# DNS (publish before turning signing on):")
        record = f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"
        # One TXT string holds at most 255 characters (RFC 1035 3.3.14); a longer record
        # is several strings, which resolvers join.
        strings = " ".join(f'"{record[i : i + 255]}"' for i in range(0, len(record), 255))
        self.stdout.write(f"{selector}._domainkey.{domain}. TXT ( {strings} )")
