"""Agents' macros over the API: list, read, write and remove them, and fill one in for a ticket.

The console's rules (``console.macro_views``): every agent reads the macros they may insert
(their own and the shared ones) and writes macros of their own; only a macro's author
changes or removes it. Macros belong to no queue, so an agent restricted to queues reads
them all, but fills one in only for a ticket they can see. Filling one in is the console's
own ``macros.render_macro``, so a macro reads the same in the reply box and here; it sends
nothing: the reply endpoint does, and refuses a placeholder still unfilled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from capdesk.api.auth import caller, get_ticket, is_staff_token, owner_user, require
from capdesk.api.errors import ApiError, forbidden, not_found
from capdesk.api.idempotency import run_once
from capdesk.api.models import ApiToken, Scope
from capdesk.api.pagination import MAX_LIMIT, paginate
from capdesk.api.tickets import BODY_ERRORS, ERRORS
from capdesk.console import actions, macros
from capdesk.console.models import Macro
from capdesk.core import audit
from capdesk.core.models import ActorKind
from capdesk.core.translations import TranslationError, Translations, checked, other_languages

router = Router(tags=["macros"])

TRANSLATIONS_HELP = (
    'The title and text in the desk\'s other languages, {language: {field: text}}, e.g. {"id": '
    '{"title": "...", "body": "..."}}; a ticket in that language gets them, any other the original.'
)
PLACEHOLDERS_HELP = (
    "Placeholders such as {name}, {reference} or {portal_url} are filled for the ticket; write {{ and }} "
    "for a literal brace. A name the desk does not know is refused (422 unknown_placeholder)."
)


class MacroOut(Schema):
    id: int
    title: str
    body: str
    shared: bool
    # The author's username: only they change or remove it.
    owner: str
    translations: dict[str, dict[str, str]] = Field(description=TRANSLATIONS_HELP)
    created_at: datetime


class MacroPage(Schema):
    items: list[MacroOut]
    next_cursor: str | None


class MacroIn(Schema):
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=20_000, description=PLACEHOLDERS_HELP)
    shared: bool = Field(default=True, description="Visible to every agent, not only its author")
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, description=TRANSLATIONS_HELP)


class MacroChange(Schema):
    """Fields left out keep their value; a translation's empty text removes it."""

    title: str | None = Field(default=None, min_length=1, max_length=120)
    body: str | None = Field(default=None, min_length=1, max_length=20_000, description=PLACEHOLDERS_HELP)
    shared: bool | None = None
    translations: dict[str, dict[str, str]] | None = Field(default=None, description=TRANSLATIONS_HELP)


class MacroQuery(Schema):
    q: str | None = Field(
        default=None, max_length=200, description="Words in the title or text, any language"
    )
    language: str | None = Field(
        default=None,
        description="Only macros with a text in this language (every macro has one in the desk's)",
    )
    mine: bool | None = Field(default=None, description="true: only the token owner's; false: only others'")
    cursor: str | None = None
    limit: int = 50


class FilledOut(Schema):
    """A macro as the reply box would insert it on the ticket: nothing is sent."""

    macro: int
    ticket: str
    title: str
    body: str
    unfilled: list[str] = Field(
        description="Placeholders this ticket has no value for, left in body as {name}: fill them before "
        "sending (the reply endpoint refuses them otherwise)"
    )
    language: str = Field(description="The language body is in")
    ticket_language: str = Field(
        description="The ticket's; differs from language when the macro has no text in it"
    )


# Who asks ------------------------------------------------------------------------------


def _reader(request: HttpRequest) -> User:
    """The agent whose macros a staff token reads (agent tokens, staff read-only tokens)."""
    token = caller(request)
    if not is_staff_token(token):
        raise forbidden("Macros are for agent tokens and staff read-only tokens.")
    return owner_user(token)


def _visible(user: User, macro_id: int) -> Macro:
    macro = macros.visible_macros(user).select_related("owner").filter(pk=macro_id).first()
    if macro is None:
        raise not_found(f"No macro {macro_id} that this token can see.")
    return macro


def _own(token: ApiToken, macro_id: int) -> Macro:
    """One of the token owner's macros; another agent's shared one is theirs to change (403)."""
    macro = _visible(owner_user(token), macro_id)
    if macro.owner_id != owner_user(token).pk:
        raise forbidden("Only its author changes or removes a macro; save a copy of your own instead.")
    return macro


# Reading -------------------------------------------------------------------------------


def macro_out(macro: Macro) -> dict[str, Any]:
    return {
        "id": macro.pk,
        "title": macro.title,
        "body": macro.body,
        "shared": macro.shared,
        "owner": macro.owner.get_username(),
        "translations": macro.translations,
        "created_at": macro.created_at.isoformat(),
    }


def _filtered(rows: QuerySet[Macro], query: MacroQuery, user: User) -> QuerySet[Macro]:
    if query.q:
        words = Q(title__icontains=query.q) | Q(body__icontains=query.q)
        for lang in other_languages():
            words |= Q(**{f"translations__{lang}__title__icontains": query.q})
            words |= Q(**{f"translations__{lang}__body__icontains": query.q})
        rows = rows.filter(words)
    if query.language:
        rows = _in_language(rows, query.language)
    if query.mine is not None:
        rows = rows.filter(owner=user) if query.mine else rows.exclude(owner=user)
    return rows


def _in_language(rows: QuerySet[Macro], language: str) -> QuerySet[Macro]:
    """Every macro is written in the desk's language; another needs the macro's text translated."""
    if language in other_languages():
        return rows.filter(**{f"translations__{language}__has_key": "body"})
    if language == settings.LANGUAGE_CODE:
        return rows
    raise ApiError(422, "validation_error", f"{language!r} is not one of the desk's languages.")


@router.get(
    "/macros", response={200: MacroPage, **ERRORS}, summary="The agents' macros the token owner may use"
)
def list_macros(request: HttpRequest, query: Query[MacroQuery]) -> dict[str, object]:
    """Their own and those shared with every agent, oldest first. The standard replies the console
    also offers are the policy's, not listed here."""
    user = _reader(request)
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ApiError(422, "validation_error", f"limit must be between 1 and {MAX_LIMIT}.")
    rows = _filtered(macros.visible_macros(user).select_related("owner"), query, user)
    return paginate(rows, cursor=query.cursor, limit=query.limit, serialize=macro_out)


@router.get("/macros/{macro_id}", response={200: MacroOut, **ERRORS}, summary="One macro")
def get_macro(request: HttpRequest, macro_id: int) -> dict[str, Any]:
    return macro_out(_visible(_reader(request), macro_id))


@router.get(
    "/tickets/{reference}/macros/{macro_id}",
    response={200: FilledOut, **ERRORS},
    summary="A macro filled in for a ticket, in its language, as the console inserts it (nothing is sent)",
)
def fill_for_ticket(request: HttpRequest, reference: str, macro_id: int) -> dict[str, Any]:
    """Send the text (once its ``unfilled`` placeholders are filled) with POST .../replies."""
    user = _reader(request)
    ticket = get_ticket(caller(request), reference)
    choice = macros.render_macro(f"m:{macro_id}", ticket, user)
    if choice is None:
        raise not_found(f"No macro {macro_id} that this token can see.")
    return {
        "macro": macro_id,
        "ticket": ticket.reference,
        "title": choice.title,
        "body": choice.body,
        "unfilled": list(choice.unfilled),
        "language": choice.language,
        "ticket_language": choice.wanted,
    }


# Writing -------------------------------------------------------------------------------


def _checked_texts(body: str | None, translations: Translations | None) -> dict[str, dict[str, str]] | None:
    """The translations as ``save_macro`` takes them, once no text holds a placeholder the desk
    does not know: a typo such as {nmae} would reach the customer as written."""
    try:
        clean = checked(translations, Macro.TRANSLATED) if translations is not None else None
    except TranslationError as exc:
        raise ApiError(422, "validation_error", str(exc)) from None
    texts: dict[tuple[str, ...], str] = {("body",): body or ""}
    texts.update({("translations", lang, "body"): t.get("body", "") for lang, t in (clean or {}).items()})
    unknown = [
        {"loc": list(loc), "placeholders": names}
        for loc, text in texts.items()
        if (names := macros.unknown_placeholders(text))
    ]
    if unknown:
        listed = ", ".join(dict.fromkeys(f"{{{n}}}" for u in unknown for n in u["placeholders"]))
        raise ApiError(
            422,
            "unknown_placeholder",
            f"Unknown placeholder: {listed}. Use one the desk fills, or write {{{{ and }}}} for a brace.",
            unknown,
        )
    return clean


def _stripped(text: str | None, field: str) -> str | None:
    """``text`` without its surrounding blanks, as the console's form keeps it; blank is refused."""
    if text is None:
        return None
    if not text.strip():
        raise ApiError(422, "validation_error", f"{field} may not be blank.")
    return text.strip()


def _audit(request: HttpRequest, action: str, macro_id: int, details: dict[str, Any] | None = None) -> None:
    """The entry the console writes for the same change, by the token (its owner and its name)."""
    token = caller(request)
    audit.record(
        action,
        actor_kind=ActorKind.TOKEN,
        user=token.user,
        label=f"{token.name} ({token.prefix}…)",
        target_type="macro",
        target_id=macro_id,
        request=request,
        details=details,
    )


@router.post(
    "/macros",
    response={201: MacroOut, **BODY_ERRORS},
    summary="Write a macro of the token owner's (agent tokens; Idempotency-Key accepted)",
)
def create_macro(request: HttpRequest, response: HttpResponse, data: MacroIn) -> Status[dict[str, Any]]:
    token = require(request, Scope.AGENT)
    title, body = _stripped(data.title, "title"), _stripped(data.body, "body")
    assert title is not None and body is not None
    translations = _checked_texts(body, data.translations)

    def write() -> tuple[int, dict[str, Any]]:
        with transaction.atomic():
            macro = actions.save_macro(
                owner=owner_user(token), title=title, body=body, shared=data.shared, translations=translations
            )
            _audit(
                request, audit.Action.MACRO_SAVED, macro.pk, actions.macro_audit_details(macro, edited=False)
            )
        return 201, macro_out(macro)

    return Status(*run_once(request, response, token, write))


@router.patch(
    "/macros/{macro_id}",
    response={200: MacroOut, **BODY_ERRORS},
    summary="Change a macro the token owner wrote (agent tokens)",
)
def change_macro(request: HttpRequest, macro_id: int, data: MacroChange) -> dict[str, Any]:
    token = require(request, Scope.AGENT)
    macro = _own(token, macro_id)
    title, body = _stripped(data.title, "title"), _stripped(data.body, "body")
    translations = _checked_texts(body, data.translations)
    with transaction.atomic():
        macro = actions.save_macro(
            owner=owner_user(token),
            title=title or macro.title,
            body=body or macro.body,
            shared=macro.shared if data.shared is None else data.shared,
            pk=macro.pk,
            translations=translations,
        )
        _audit(request, audit.Action.MACRO_SAVED, macro.pk, actions.macro_audit_details(macro, edited=True))
    return macro_out(_visible(owner_user(token), macro.pk))


@router.delete(
    "/macros/{macro_id}",
    response={204: None, **ERRORS},
    summary="Remove a macro the token owner wrote (agent tokens)",
)
def delete_macro(request: HttpRequest, macro_id: int) -> Status[None]:
    token = require(request, Scope.AGENT)
    macro = _own(token, macro_id)
    with transaction.atomic():
        actions.delete_macro(owner_user(token), macro.pk)
        _audit(request, audit.Action.MACRO_DELETED, macro.pk)
    return Status(204, None)
