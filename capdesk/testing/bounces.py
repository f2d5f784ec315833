"""Delivery status notifications (RFC 3464), as a receiving server writes them, for the tests."""

from __future__ import annotations


def dsn(
    *recipients: tuple[str, str, str], cites: str = "<ours-1@capgo.app>", to: str = "support@capgo.app"
) -> bytes:
    """A DSN to ``to`` (the failed email's return path) about ``recipients``; ``cites`` "" quotes nothing."""
    blocks = "\n".join(
        f"Final-Recipient: rfc822; {address}\nAction: {action}\nStatus: {status}\n"
        for address, action, status in recipients
    )
    cited = f"In-Reply-To: {cites}\n" if cites else ""
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\nTo: {to}\n"
        f"Subject: Delivery Status Notification\nMessage-ID: <dsn-{abs(hash((to, cites)))}@mx.acme.test>\n{cited}"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nSee below.\n\n"
        f"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.acme.test\n\n{blocks}\n"
        "--B--\n"
    ).encode()


def arf(cites: str, *, feedback_type: str = "abuse", recipient: str = "redacted@example.net") -> bytes:
    """A feedback loop's spam report (ARF, RFC 5965 appendix B), returning the message it is about.

    As Yahoo's and Microsoft's loops send them: from an address of the loop (no
    Auto-Submitted, no MAILER-DAEMON), the recipient's address redacted.
    """
    return (
        "From: Feedback Loop <feedback@arf.mail.example.net>\nTo: support@capgo.app\n"
        f"Subject: FW: Re: your request\nMessage-ID: <arf-{abs(hash((cites, feedback_type)))}@arf.mail.example.net>\n"
        "Date: Sun, 29 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="part1"\n\n'
        "--part1\nContent-Type: text/plain; charset=us-ascii\n\n"
        "This is an email abuse report for an email message received from IP 192.0.2.1.\n\n"
        "--part1\nContent-Type: message/feedback-report\n\n"
        f"Feedback-Type: {feedback_type}\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n"
        f"Original-Mail-From: <support@capgo.app>\nOriginal-Rcpt-To: <{recipient}>\n"
        "Arrival-Date: Sun, 29 Nov 2026 09:00:00 +0000\nReported-Domain: capgo.app\n\n"
        "--part1\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n"
        f"From: Capgo Support <support@capgo.app>\nTo: <{recipient}>\nSubject: Re: your request\n"
        f"Message-ID: {cites}\nDate: Sun, 29 Nov 2026 08:59:00 +0000\n\nThanks for writing to us.\n\n"
        "--part1--\n"
    ).encode()
