"""Delivery status notifications (RFC 3464), as a receiving server writes them, for the tests."""

from __future__ import annotations


def dsn(*recipients: tuple[str, str, str], cites: str = "<ours-1@capgo.app>") -> bytes:
    blocks = "\n".join(
        f"Final-Recipient: rfc822; {address}\nAction: {action}\nStatus: {status}\n"
        for address, action, status in recipients
    )
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\nTo: support@capgo.app\n"
        f"Subject: Delivery Status Notification\nMessage-ID: <dsn-2@mx.acme.test>\nIn-Reply-To: {cites}\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nSee below.\n\n"
        f"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.acme.test\n\n{blocks}\n"
        "--B--\n"
    ).encode()
