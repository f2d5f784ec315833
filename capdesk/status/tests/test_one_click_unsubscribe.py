"""RFC 8058 one-click unsubscribe as a mail client does it: `capdesk run` on loopback, the link from the mail written.

A person subscribes and confirms through the desk's forms, an incident is opened, and
the update mail the worker writes carries ``List-Unsubscribe`` and
``List-Unsubscribe-Post``. The mail client then POSTs ``List-Unsubscribe=One-Click`` to
that link with no cookie and no form token (RFC 8058, 3.1 and 3.2), and must be answered,
not redirected. A link scanner's GET must change nothing. The same link on
status-serve's port (a person who pastes it there) is redirected with 307, which a
browser follows with its body.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from capdesk.testing.desk import Desk, desk_for_tests, query

ADDRESS = "dewi@kopinusantara.id"
ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"
MAIL_SECONDS = 90  # the worker on a loaded, shared machine
OPEN_INCIDENT = (
    "from capdesk.status import actions; "
    "actions.open_incident(name='Bundle downloads fail', body='Investigating now.')"
)


class Answer:
    """One HTTP exchange as the client saw it."""

    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def ask(port: int, method: str, path: str, body: bytes = b"", content_type: str = FORM) -> Answer:
    """One request on a fresh connection, with no cookie: what a mail client sends."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": content_type} if method == "POST" else {}
        conn.request(method, path, body=body if method == "POST" else None, headers=headers)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def post_as_a_browser(port: int, path: str, body: bytes) -> tuple[list[int], Answer]:
    """POST, following 307 and 308 with the same method and body as browsers do; the statuses on the way."""
    seen: list[int] = []
    for _ in range(3):
        answer = ask(port, "POST", path, body)
        seen.append(answer.status)
        if answer.status not in (307, 308):
            return seen, answer
        target = urllib.parse.urlsplit(answer.headers["Location"])
        assert target.hostname == "127.0.0.1" and target.port, target
        port, path = target.port, target.path + (f"?{target.query}" if target.query else "")
    raise AssertionError(f"redirected too often: {seen}")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


def mail_with(mail_dir: Path, pattern: str) -> EmailMessage:
    """The first mail written whose text matches ``pattern``, waiting for the worker to write it."""
    deadline = time.monotonic() + MAIL_SECONDS
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if re.search(pattern, text_of(message)):
                return message
        time.sleep(0.3)
    raise AssertionError(f"no mail matching {pattern!r} in {MAIL_SECONDS} s")


def submit(opener: urllib.request.OpenerDirector, url: str, fields: dict[str, str]) -> str:
    """Open a form's page and post it with its CSRF token, as a person's browser does."""
    with opener.open(url, timeout=30) as page:
        html = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token, html[:2000]
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields}).encode()
    with opener.open(urllib.request.Request(url, data=data), timeout=30) as done:  # noqa: S310 (loopback)
        return str(done.url)


def subscription(desk: Desk) -> tuple[object, object]:
    sql = f"SELECT confirmed_at, unsubscribed_at FROM status_subscriber WHERE email = '{ADDRESS}'"  # noqa: S608 (a constant)
    rows = query(desk, sql)
    assert len(rows) == 1, rows
    return rows[0][0], rows[0][1]


def test_it_unsubscribes_with_one_cookieless_post_to_the_mails_link_and_never_with_a_get(
    transactional_db: None, tmp_path: Path
) -> None:
    desk = desk_for_tests(tmp_path, run_args=["--no-smtp"])
    mail_dir = desk.write_mail_to_files()
    status_port = int(desk.env["CAPDESK_STATUS_BIND"].rsplit(":", 1)[1])
    try:
        desk.start()
        web = f"http://127.0.0.1:{desk.web_port}"
        person = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        assert submit(person, f"{web}/status/subscribe/", {"kind": "email", "email": ADDRESS}).endswith(
            "/status/subscribe/sent/"
        )
        confirm = re.search(
            r"http://\S+/status/subscribe/confirm/\S+/", text_of(mail_with(mail_dir, "/confirm/"))
        )
        assert confirm
        submit(person, confirm.group(0), {})
        assert subscription(desk)[0] is not None

        desk.capdesk("shell", "-c", OPEN_INCIDENT)
        update = mail_with(mail_dir, "Investigating now")
        assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        header = re.fullmatch(r"<(http://[^>]+)>", str(update["List-Unsubscribe"]).strip())
        assert header, update["List-Unsubscribe"]
        link = urllib.parse.urlsplit(header.group(1))
        # The desk itself, not status-serve: RFC 8058 (3.1) forbids answering the POST with a redirect.
        assert (link.hostname, link.port) == ("127.0.0.1", desk.web_port)

        # A link scanner fetches the link: a page with a button that posts, and nothing changes.
        for method in ("GET", "HEAD"):
            looked = ask(desk.web_port, method, link.path)
            assert looked.status == 200, method
        page = ask(desk.web_port, "GET", link.path).body.decode()
        assert re.search(r'<form method="post"[^>]*>\s*<p><button type="submit">', page), page
        assert ADDRESS not in page
        assert ask(status_port, "GET", link.path).status == 307
        assert subscription(desk)[1] is None

        # The mail client's one click: answered 200 on the spot, no redirect, no cookie.
        clicked = ask(desk.web_port, "POST", link.path, ONE_CLICK)
        assert clicked.status == 200, clicked.body[:2000]
        assert "Location" not in clicked.headers and "Set-Cookie" not in clicked.headers
        unsubscribed_at = subscription(desk)[1]
        assert unsubscribed_at is not None

        # Clients retry, and the RFC's preferred multipart body is taken as well: the same answer.
        boundary = "capdesk-test"
        multipart = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            f"One-Click\r\n--{boundary}--\r\n"
        ).encode()
        again = ask(desk.web_port, "POST", link.path, multipart, f"multipart/form-data; boundary={boundary}")
        assert again.status == 200
        # The link pasted on status-serve's port: 307 to the desk, followed with the body.
        statuses, followed = post_as_a_browser(status_port, link.path, ONE_CLICK)
        assert statuses == [307, 200], statuses
        assert b"You are unsubscribed" in followed.body
        assert subscription(desk)[1] == unsubscribed_at  # unsubscribed once; repeats change nothing

        # A forged or cut-short link: a clear 404, and nothing about anyone.
        forged = ask(
            desk.web_port, "POST", link.path.replace(link.path.split("/")[-2], "Ij.forged:x:y"), ONE_CLICK
        )
        assert forged.status == 404
        assert ADDRESS.encode() not in forged.body
        assert ask(status_port, "POST", "/status/unsubscribe/forged/", ONE_CLICK).status == 307
    finally:
        desk.stop()
