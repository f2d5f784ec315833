"""Email into tickets: a new request, or a reply threaded onto the ticket it answers."""

from __future__ import annotations

import logging
import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from django.db.models import QuerySet
from django.utils.translation import gettext

from capdesk.core import appends
from capdesk.core.per_transaction import PerTransaction
from capdesk.directory.models import EmailAddress, Person, Project, normalise_email
from capdesk.intake import files_left_out, thread_locks
from capdesk.intake.authentication import Authentication, authenticate, identity_for
from capdesk.intake.bounces import record_bounces
from capdesk.intake.channels import Prepared, Unprocessable, register_prepared
from capdesk.intake.confirmation import create_confirmation, hold_reply
from capdesk.intake.deciding import (
    DECLARED,
    Decided,
    Question,
    decide_again_if_project_named,
    decide_request,
    decide_requests,
    project_named_in,
)
from capdesk.intake.declared_severity import Declaration, read_declaration
from capdesk.intake.files_left_out import LeftOut
from capdesk.intake.mail_parsing import RECIPIENT_HEADERS, ParsedMail, is_automatic, parse
from capdesk.intake.models import InboundRequest
from capdesk.intake.quoting import fold, render_plain_folded
from capdesk.notify import suppressions, verp
from capdesk.notify.actions import automatic_reply_allowed, expect_automatic_replies
from capdesk.policy.language import reply_language
from capdesk.policy.loader import get_policy
from capdesk.policy.types import Identity, Outcome
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets import audit, copies, follow_ups, mailboxes
from capdesk.tickets.decisions import apply_decision
from capdesk.tickets.merging import may_reply
from capdesk.tickets.models import Message, MessageReference, Status, Ticket
from capdesk.tickets.reply_address import copied_message_pk, ticket_pks_in
from capdesk.tickets.scoping import manages_copies

logger = logging.getLogger(__name__)

# Any bracketed "PREFIX-1234"; Ticket.pk_from_reference decides which are ours (in any case,
# since some clients change the case of a subject they quote).
_REFERENCE = re.compile(r"\[([A-Za-z]{2,10}-\d{1,12})\]")
MAX_CITATIONS = 30
UNREADABLE = InboundRequest.Cause.UNREADABLE
# Read with a thread's ticket: the reply's audit event puts them in its webhook summary.
_SUMMARY = ("organization", "project")


def find_thread(
    mail: ParsedMail, *, authenticated: bool = False, cited_by_stored: Container[str] | None = None
) -> Ticket | None:
    """The ticket this mail answers: by the reply token in the address it was sent to, by the
    reference in the subject, else by the messages it cites.

    A reply joins a ticket only when it comes from the ticket's requester, or from an address
    copied on it when the mail is ``authenticated`` (``merging.may_reply``): a stranger who
    knows a reference or a reply address must not write into someone else's conversation.
    ``cited_by_stored``, when given, holds every Message-ID stored mail may cite: a reply that came
    before this message is only looked for when this message's id is in it.
    """
    candidates: list[Ticket] = []
    # The token in support+<token>@: the envelope recipient shows in Delivered-To or
    # X-Original-To when the customer's client only kept us in Bcc.
    pks = ticket_pks_in(mail.headers.get(h, "") for h in RECIPIENT_HEADERS)
    pks += [pk for ref in _REFERENCE.findall(mail.subject) if (pk := Ticket.pk_from_reference(ref))]
    if pks:
        by_pk = Ticket.objects.select_related(*_SUMMARY).in_bulk(pks)
        candidates.extend(by_pk[pk] for pk in dict.fromkeys(pks) if pk in by_pk)
    cited = mail.in_reply_to + mail.references
    if cited:
        # Messages this write batch stored are only inserted at its end (core.appends).
        candidates.extend(
            m.ticket for m in appends.pending(Message) if m.message_id and m.message_id in cited
        )
        candidates.extend(m.ticket for m in _in_order(Message.objects.filter(message_id__in=cited)))
        # A copied person's email of an agent reply has an id of its own, naming the message.
        copied = [pk for c in cited if (pk := copied_message_pk(c, sender=mail.from_address))]
        if copied:
            candidates.extend(m.ticket for m in _in_order(Message.objects.filter(pk__in=copied)))
    closed: Ticket | None = None
    seen: set[int] = set()
    for candidate in candidates:
        # The conversation goes on in the surviving ticket; someone copied only on a ticket
        # merged into it (another requester's) is not admitted there.
        ticket = candidate.surviving()
        if ticket.pk in seen:
            continue
        seen.add(ticket.pk)
        # The requester of the ticket named (or of one merged into it) is admitted, as before;
        # a copied address only if it is copied where the conversation goes on.
        if not _admitted(candidate, ticket, mail.from_address, authenticated=authenticated):
            continue
        if ticket.status != Status.CLOSED:
            return ticket
        # A closed one names the conversation, but a message the mail cites may be on its
        # open follow-up (an answer to the customer's own first answer): that one wins.
        closed = closed or ticket
    if closed is not None:
        return closed
    if mail.message_id and (cited_by_stored is None or mail.message_id in cited_by_stored):
        # Arrival order is not sending order: a reply may have come first and cited this
        # message, which then joins the reply's ticket (same requester rule).
        later = [r for r in appends.pending(MessageReference) if r.reference == mail.message_id]
        later += MessageReference.objects.filter(reference=mail.message_id).select_related("message__ticket")
        for citation in later:
            if citation.message.ticket.requester_email.lower() == mail.from_address:
                return citation.message.ticket.surviving()
    return None


def _in_order(messages: QuerySet[Message]) -> list[Message]:
    """``messages`` with their tickets, in the model's order (``created_at``, then ``id``).

    Sorted here rather than by the query: to compile an ORDER BY, the ORM first hashes every
    selected column's expression (to find the terms already selected), and this read selects
    four tables' worth; that cost a third of the query (about 0.3 ms) for the one or two
    messages an email cites.
    """
    rows = messages.select_related("ticket", *(f"ticket__{name}" for name in _SUMMARY)).order_by()
    return sorted(rows, key=lambda m: (m.created_at, m.pk))


def _admitted(candidate: Ticket, ticket: Ticket, address: str, *, authenticated: bool) -> bool:
    """``find_thread``'s rule: ``address`` may reply on ``candidate``, or where it goes on (``ticket``).

    For a ticket that was not merged (``candidate`` is ``ticket``), the second check asks all
    the first does and more: asked alone, a refused sender costs one read of the tickets
    merged into it instead of two.
    """
    if candidate is ticket:
        return may_reply(ticket, address, authenticated=authenticated)
    return may_reply(candidate, address) or may_reply(ticket, address, authenticated=authenticated)


def cited_ids(mail: ParsedMail) -> list[str]:
    """The Message-IDs the mail cites, the direct parent first, then its ancestors newest first."""
    cited = dict.fromkeys([*mail.in_reply_to, *reversed(mail.references)])
    cited.pop(mail.message_id, None)
    # A References header can list a whole long thread; the recent end is what a late parent is.
    return list(cited)[:MAX_CITATIONS]


class _CitedByStored:
    """Which of a batch's Message-IDs may be cited by stored mail: one read for the batch.

    ``find_thread`` looks for a reply that came before the message it answers; almost
    none is found, and one query per email cost as much as a ticket's other reads.
    Read at the batch's first write, under the write lock, so nothing committed since
    the read-only phase is missed; the batch's own citations count too, since an
    earlier email of the batch is stored before a later one is written.
    """

    def __init__(self, mails: Sequence[ParsedMail]) -> None:
        self._ids = [m.message_id for m in mails if m.message_id]
        self._in_batch = {cited for m in mails for cited in cited_ids(m)}
        self._stored: set[str] | None = None

    def __contains__(self, message_id: object) -> bool:
        if message_id in self._in_batch:
            return True
        if self._stored is None:
            self._stored = set(
                MessageReference.objects.filter(reference__in=self._ids).values_list("reference", flat=True)
            )
        return message_id in self._stored

    def forget(self) -> None:
        self._stored = None


class _Batch:
    """What the write phase of a batch of emails reads once, at its first need, under the write lock."""

    def __init__(self, mails: Sequence[ParsedMail], *, suppressed: Container[str] = ()) -> None:
        self.cited_by_stored = _CitedByStored(mails)
        # Authenticated senders the desk stopped mailing (read in the prepare phase).
        self.suppressed = suppressed
        self._senders = {m.from_address for m in mails}
        self._replies_counted = False
        self._related = [
            *self._senders,
            *(m.message_id for m in mails),
            *(c for m in mails for c in cited_ids(m)),
        ]
        # Once per write transaction (a rolled-back part releases its locks, and takes them again).
        self._locked = PerTransaction(self._lock_related)

    def _lock_related(self) -> None:
        thread_locks.lock(self._related)
        # What was read before the locks were (re)taken may be stale: another batch may have
        # committed while a rolled-back part of this one held none.
        self.cited_by_stored.forget()
        self._replies_counted = False

    def wait_for_related_batches(self) -> None:
        """Before the first read of the write phase: another worker's batch of related mail commits first."""
        self._locked.get()

    def count_automatic_replies(self) -> None:
        """Before the first standard reply: the replies each sender already got, in one query."""
        if not self._replies_counted:
            expect_automatic_replies(self._senders)
            self._replies_counted = True


@dataclass(frozen=True)
class _Read:
    """What the read-only phase learned about one email; the write phase acts on it."""

    raw: bytes
    mail: ParsedMail
    automatic: str  # why it opens no ticket: machine-sent, or the desk's own (``loop``); "" otherwise
    person: Person | None = None
    auth: Authentication | None = None
    identity: Identity = Identity.UNKNOWN
    html: str = ""
    project: Project | None = None
    declaration: Declaration | None = None
    loop: bool = False
    left_out: tuple[LeftOut, ...] = ()  # attachments an admin accepted the email without


def _parse(request: InboundRequest) -> _Read:
    """Parse and check one email; raise Unprocessable to quarantine it."""
    raw = bytes(request.raw)
    try:
        mail = parse(raw)
    except Exception as exc:
        raise Unprocessable(
            f"not a readable email message: {type(exc).__name__}: {exc}", cause=UNREADABLE
        ) from None
    if not mail.from_address or "@" not in mail.from_address:
        raise Unprocessable("the message has no usable From address", cause=UNREADABLE)
    if mailboxes.is_desk_address(mail.from_address):
        # The desk's own mail come back: a ticket would answer it, and so on (tickets.mailboxes).
        return _Read(raw, mail, f"from the desk's own address {mail.from_address}", loop=True)
    return _Read(raw, mail, is_automatic(mail))


def _sender_language(person: Person | None, mail: ParsedMail) -> str:
    """The language a notice to the sender is written in: theirs, else their email's."""
    return reply_language(person.language if person else None, mail.text, get_policy().languages)


def _with_text(mail: ParsedMail, person: Person | None) -> ParsedMail:
    """``mail``, with its subject as its text when it has no text nor files, as Zendesk and
    Zammad do: "URGENT production updates down, call me" with an empty body is a request.

    Unprocessable when there is no subject either: nothing says what is wanted. The sender
    hears why (``intake.actions``), since they can write again.
    """
    if mail.text.strip() or mail.files:
        return mail
    if mail.subject.strip():
        return replace(mail, text=mail.subject.strip(), html="", html_quoted="")
    raise Unprocessable(
        "the message has no subject, no text and no files",
        tell=mail.from_address,
        answering=mail.message_id,
        language=_sender_language(person, mail),
        explain=_nothing_written,
        cause=UNREADABLE,
    )


def _nothing_written() -> str:
    return gettext(
        "Your email had no subject, no text and no attachment. Please write what you need and send it again."
    )


def _people_by_email(addresses: Iterable[str]) -> dict[str, Person]:
    """``person_by_email`` for a whole batch in one query (addresses are unique in the directory)."""
    wanted = {normalise_email(address) for address in addresses}
    if not wanted:
        return {}
    found = EmailAddress.objects.select_related("person").filter(email__in=wanted)
    return {row.email: row.person for row in found}


def _read(request: InboundRequest, parsed: _Read, person: Person | None) -> _Read:
    """Authenticate a parsed, non-automatic email and read what deciding needs, without writing."""
    raw, mail = parsed.raw, _with_text(parsed.mail, person)
    # DKIM may ask DNS: done here, so no write lock waits on a resolver.
    auth = authenticate(raw, mail.from_address, request.received_at)
    identity = identity_for(registered=person is not None, authentication=auth)
    # Email is not Markdown: show plain text as written; HTML arrives sanitised by the parser.
    # The quoted history is folded behind a toggle; body_text keeps the full text.
    html = fold(mail.html, mail.html_quoted) if mail.html else render_plain_folded(mail.text)
    left_out: tuple[LeftOut, ...] = ()
    if request.without_files_over_limit:  # an admin accepted it so (console quarantine)
        kept, over = ticket_actions.within_limits(mail.files)
        mail, left_out = replace(mail, files=kept), LeftOut.of(over)
    try:
        ticket_actions.check_attachments(mail.files)
    except ticket_actions.AttachmentRejected as exc:
        # Retrying cannot make a file smaller: quarantine at once, for a reply as for a new request,
        # and tell the sender, who can send smaller files.
        raise Unprocessable(
            str(exc),
            tell=mail.from_address,
            answering=mail.message_id,
            language=_sender_language(person, mail),
            explain=exc.explain,
            cause=InboundRequest.Cause.ATTACHMENTS,
        ) from None
    project = project_named_in(person, f"{mail.subject}\n{mail.text}") if person else None
    # Read for every email, though only a new request's counts: whether it is one is known
    # only in the write phase. The policy weighs who declared it (E3).
    declaration = read_declaration(mail.subject, mail.text)
    return _Read(
        raw, mail, "", person, auth, identity, html, project, declaration=declaration, left_out=left_out
    )


@register_prepared("email")
def prepare_emails(requests: Sequence[InboundRequest]) -> list[Prepared]:
    """The read-only phase for a batch of emails: parse, authenticate, classify and decide.

    Every readable, non-automatic email is decided here as if it opened a ticket (one
    classifier call for the batch); whether it is a reply is only known in the write
    phase, where earlier emails of the same batch are already tickets, and a reply then
    ignores its decision.
    """
    parsed: list[_Read | Exception] = []
    for request in requests:
        try:
            parsed.append(_parse(request))
        except Exception as exc:
            parsed.append(exc)
    # The senders of the whole batch in one directory read.
    senders = _people_by_email(
        p.mail.from_address for p in parsed if isinstance(p, _Read) and not p.automatic
    )
    reads: list[_Read | Exception] = []
    for request, p in zip(requests, parsed, strict=True):
        if isinstance(p, Exception) or p.automatic:
            reads.append(p)
            continue
        try:
            reads.append(_read(request, p, senders.get(normalise_email(p.mail.from_address))))
        except Exception as exc:
            reads.append(exc)
    people = [r for r in reads if isinstance(r, _Read) and not r.automatic]
    # E3: a registered From is only a claim until DKIM, ARC or a trusted relay's DMARC proves
    # it; an unproven registered sender confirms by a link sent to the registered address.
    decided = decide_requests(
        [
            Question(
                channel="email",
                identity=r.identity,
                person=r.person,
                project=r.project,
                subject=_declared(r).subject,
                body=r.mail.text,
                declared_severity=_declared(r).severity,
                production_impact=_declared(r).production_impact,
                severity_from_text=True,
            )
            for r in people
        ]
    )
    decision_of = {id(r): d for r, d in zip(people, decided, strict=True)}
    # Mail that proves it comes from an address the desk stopped mailing (a bounce, a
    # complaint) shows the address at work again: its suppression is lifted as it is written.
    suppressed = suppressions.among(
        r.mail.from_address for r in people if r.auth is not None and r.auth.authenticated
    )
    batch = _Batch([r.mail for r in people], suppressed=suppressed)
    out: list[Prepared] = []
    for r in reads:
        if isinstance(r, Exception):
            out.append(r)
        elif r.loop:
            out.append(partial(_record_loop, read=r))
        elif r.automatic:
            out.append(partial(_ignore_automatic, read=r, batch=batch))
        else:
            out.append(partial(_write, read=r, decided=decision_of[id(r)], batch=batch))
    return out


def _declared(read: _Read) -> Declaration:
    assert read.declaration is not None  # read for every email that is not automatic
    return read.declaration


def _record_loop(request: InboundRequest, *, read: _Read) -> None:
    """The desk's own mail came back: no ticket and no answer, which would loop; the intake
    log says why, for the admin who looks for where it went."""
    request.reason = f"mail loop refused ({read.automatic}): no ticket, no reply"
    logger.warning("intake.mail_loop", extra={"request_id": request.pk})


def _ignore_automatic(request: InboundRequest, *, read: _Read, batch: _Batch) -> None:
    # Out-of-office and bounces never open tickets, and are never answered (RFC 3834).
    # A bounce writes to the directory: the batch's locks come before any of its writes.
    batch.wait_for_related_batches()
    # A report sent to the return path of one of our emails names it (notify.verp).
    returned_to = verp.email_pk_in(read.mail.headers.get(h, "") for h in RECIPIENT_HEADERS)
    outcome = record_bounces(read.raw, returned_to=returned_to)
    request.reason = outcome.described(f"automatic message ignored ({read.automatic})")


def _hold_reply(request: InboundRequest, ticket: Ticket, *, read: _Read, batch: _Batch) -> None:
    """E3 for a reply: a registered From that did not prove itself may be anyone, so the reply
    waits for the registered address to confirm it, as a new request does (DESIGN.md)."""
    assert read.person is not None
    batch.count_automatic_replies()  # the confirmation email is an automatic reply (rate-limited)
    hold_reply(
        request,
        ticket,
        person=read.person,
        author_email=read.mail.from_address,
        subject=read.mail.subject,
        body=read.mail.text,
        body_html=read.html,
        files=read.mail.files,
        message_id=read.mail.message_id,
        cites=cited_ids(read.mail),
    )


def _copy_recipients(ticket: Ticket, read: _Read, *, opened: bool) -> None:
    """The other people the email went to (To, Cc) are copied on the ticket, as the sender
    meant them to follow it (``tickets.copies``).

    Only for a registered customer who proved the From address and may manage the ticket's
    copies (they opened it, or requested or administer it): anyone else could have the desk
    mail its replies to, and put the ticket in the portal of, whoever they name. Otherwise the
    History says whom the email named, so an agent may copy them by hand.
    """
    recipients = copies.recipients_of(read.mail.headers.get(h, "") for h in ("to", "cc"))
    named = copies.candidates(ticket, recipients)
    if not named:  # most mail names only the desk: no query
        return
    person = read.person
    if (
        read.identity == Identity.VERIFIED
        and person is not None
        and (opened or manages_copies(person, ticket))
    ):
        copies.add(ticket, named, how="email", person=person, strict=False, by=read.mail.from_address)
        return
    if read.identity == Identity.UNKNOWN:
        reason = "not a registered customer"
    elif read.identity != Identity.VERIFIED:
        reason = "a registered customer whose From address was not proven"
    else:
        reason = "neither the requester nor an admin of the organization"
    audit.record(
        ticket,
        "copied.skipped",
        person=person,
        data={"emails": named, "by": read.mail.from_address},
        reason=f"the email's To and Cc were not copied: the sender is {reason}",
    )


def _write(request: InboundRequest, *, read: _Read, decided: Decided, batch: _Batch) -> Ticket:
    """The write phase for one email: thread it or open its ticket, with its decision applied."""
    mail, person, auth, identity = read.mail, read.person, read.auth, read.identity
    assert auth is not None  # set for every email that is not automatic
    batch.wait_for_related_batches()
    request.sender_verdict = identity
    request.sender_auth_reason = auth.reason
    if auth.authenticated and mail.from_address.lower() in batch.suppressed:
        suppressions.lift(mail.from_address, why="authenticated mail from the address")
    ticket = find_thread(mail, authenticated=auth.authenticated, cited_by_stored=batch.cited_by_stored)
    if ticket_actions.follows_up(ticket, received_at=request.received_at):
        assert ticket is not None
        follow_up = follow_ups.frame(ticket, mail.from_address, person)
        sequel = follow_up.open_sequel(mail.from_address)
        if sequel is None:
            return _open(request, read=read, decided=decided, batch=batch, follow_up=follow_up)
        ticket = sequel
    if ticket is None:
        return _open(request, read=read, decided=decided, batch=batch)
    held = identity == Identity.UNVERIFIED and person is not None
    if held:
        _hold_reply(request, ticket, read=read, batch=batch)
    else:
        ticket_actions.record_customer_reply(
            ticket,
            body=mail.text,
            person=person,
            author_email=mail.from_address,
            body_html=read.html,
            files=mail.files,
            source_id=request.pk,
            message_id=mail.message_id,
            cites=cited_ids(mail),
        )
        _copy_recipients(ticket, read, opened=False)
        decide_again_if_project_named(
            ticket, person=person, identity=identity, text=f"{mail.subject}\n{mail.text}"
        )
    if read.left_out:
        files_left_out.tell_agents(ticket, read.left_out)
    # A reply joins by its From address: agents see whether that address was proven.
    audit.record(
        ticket,
        "sender.identified",
        data={"verdict": identity, "method": auth.method, "message_id": mail.message_id, "held": held},
        reason=f"reply, {identity} sender{', held until confirmed' if held else ''}: {auth.reason}",
    )
    return ticket


def _open(
    request: InboundRequest,
    *,
    read: _Read,
    decided: Decided,
    batch: _Batch,
    follow_up: follow_ups.FollowUp | None = None,
) -> Ticket:
    """A new ticket for the email, its decision applied; or the follow-up of a closed one,
    decided afresh on that conversation's requester and project (``tickets.follow_ups``)."""
    mail, person, auth, identity = read.mail, read.person, read.auth, read.identity
    assert auth is not None
    requester, requester_email, project, organization = person, mail.from_address, read.project, None
    declaration = _declared(read)
    # A new request's severity tag is taken out of its title; a follow-up keeps the closed
    # one's (the answer's own when that one was never confirmed: tickets.follow_ups).
    subject = declaration.subject if follow_up is None else follow_up.subject(mail.subject)
    # Someone copied who answers asks for themselves, as decided for them with the batch.
    if follow_up is not None and follow_up.by_requester:
        # The requester's conversation goes on: in its project, decided on them afresh.
        requester, requester_email = follow_up.requester, follow_up.requester_email
        project, organization = follow_up.project, follow_up.organization
        decided = decide_request(
            channel="email",
            identity=identity,
            person=requester,
            project=project,
            subject=subject,
            body=mail.text,
        )
    elif follow_up is not None and (declaration.severity or declaration.production_impact):
        # Someone copied who answers asks for themselves, as decided for them with the batch,
        # but an answer declares no severity: its tag may be the closed conversation's.
        decided = decide_request(
            channel="email",
            identity=identity,
            person=person,
            project=project,
            subject=mail.subject,
            body=mail.text,
        )
    ticket = ticket_actions.open_ticket(
        subject=subject,
        body=mail.text,
        channel="email",
        requester=requester,
        requester_email=requester_email,
        project=project,
        organization=organization,
        body_html=read.html,
        files=mail.files,
        source_id=request.pk,
        message_id=mail.message_id,
        cites=cited_ids(mail),
        language=decided.language,
        received_at=request.received_at,
        follow_up_of=follow_up.of if follow_up else None,
        requester_name=mail.from_name if requester_email == mail.from_address else "",
    )
    audit.record(
        ticket,
        "sender.identified",
        data={
            "registered": person is not None,
            "verdict": read.identity,
            "authenticated": auth.authenticated,
            "method": auth.method,
            "reason": auth.reason,
        },
        reason=f"{read.identity} sender: {auth.reason}",
    )
    if follow_up is None and declaration.severity is not None:
        _record_declaration(ticket, declaration, taken=decided.decision.declared_severity is not None)
    held = decided.decision.outcome == Outcome.VERIFY_SENDER
    if follow_up is not None and not held:
        # Until its sender is proven, a follow-up in the requester's name shows to nobody else.
        follow_ups.copy_followers(ticket)
    _copy_recipients(ticket, read, opened=follow_up is None)
    note = ""
    if read.left_out:
        files_left_out.tell_agents(ticket, read.left_out)
        note = files_left_out.customer_note(ticket, read.left_out, decided.language)
    batch.count_automatic_replies()
    context: dict[str, str] = {}
    if held and person is not None:
        # The link is the standard reply: the limit that withholds it (queue_email, counting
        # on what was read for the batch) leaves it for the address's next list of what waits.
        emailed = automatic_reply_allowed(mail.from_address)
        context = create_confirmation(request, ticket, person, mail.from_address, emailed=emailed)
    apply_decision(
        ticket,
        decided.decision,
        identity=identity,
        language=decided.language,
        reply_context=context,
        customer_message_ids=[mail.message_id],
        reply_note=note,
    )
    return ticket


def _record_declaration(ticket: Ticket, declaration: Declaration, *, taken: bool) -> None:
    """Agents see what the email declared, in its own words, and whether it was taken: an
    unproven sender's is only a claim (E3), until they confirm it (``deciding.declared_at_intake``).
    No actor: an unproven claim is not the registered person's act."""
    audit.record(
        ticket,
        DECLARED,
        data={
            "severity": declaration.severity,
            "production_impact": declaration.production_impact,
            "said": list(declaration.said),
            "taken": taken,
        },
    )
