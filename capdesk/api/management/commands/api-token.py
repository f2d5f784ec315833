"""``capdesk api-token create|list|revoke``: API tokens from the command line (the plaintext is shown once)."""

from __future__ import annotations

import uuid
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from capdesk.api import actions
from capdesk.api.models import ApiToken, Scope
from capdesk.directory.models import Person
from capdesk.directory.queries import person_by_email


class Command(BaseCommand):
    help = "Create, list or revoke REST API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create", help="Issue a token; its secret is printed once, only its hash is kept"
        )
        create.add_argument("--scope", required=True, choices=Scope.values)
        owner = create.add_mutually_exclusive_group(required=True)
        owner.add_argument("--user", help="The owning user's username (any scope)")
        owner.add_argument(
            "--person", help="The owning customer: Capgo account id or registered email (read_only, customer)"
        )
        create.add_argument("--name", default="", help="What the token is for")
        create.add_argument("--rate-limit", type=int, default=None, help="Requests per minute for this token")
        sub.add_parser("list", help="Tokens with their prefix, scope, owner and last use (never the secret)")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (cdk_...) or id")
        revoke.add_argument("token", help="The token's prefix as `list` shows it, or its id")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list()
        else:
            self._revoke(options["token"])

    def _create(self, options: dict[str, Any]) -> None:
        user = person = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['user']!r}")
        else:
            person = _person(options["person"])
        try:
            issued = actions.create_token(
                name=options["name"] or f"{options['scope']} token",
                scope=options["scope"],
                user=user,
                person=person,
                rate_limit_per_minute=options["rate_limit"],
            )
        except Exception as exc:  # ValidationError or ValueError: both say what is wrong
            raise CommandError(_message(exc)) from None
        self.stderr.write(
            f"Token {issued.token.prefix}… ({issued.token.scope}) created. It is shown only now:"
        )
        self.stdout.write(issued.plaintext)

    def _list(self) -> None:
        for token in ApiToken.objects.select_related("user", "person"):
            owner = token.user.get_username() if token.user else f"person {token.person}"
            state = "revoked" if token.revoked_at else "active"
            used = token.last_used_at.isoformat() if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}\t{token.scope}\t{owner}\t{state}\tlast used {used}\t{token.name}"
            )

    def _revoke(self, ref: str) -> None:
        rows = (
            ApiToken.objects.filter(pk=int(ref))
            if ref.isdigit()
            else ApiToken.objects.filter(prefix=ref.rstrip("…"))
        )
        if rows.count() != 1:
            raise CommandError(f"{ref!r} names {rows.count()} tokens; give the id from `list`")
        token = rows.get()
        actions.revoke_token(token)
        self.stdout.write(f"Token {token.prefix}… revoked.")


def _person(ref: str) -> Person:
    try:
        person = Person.objects.filter(capgo_id=uuid.UUID(ref)).first()
    except ValueError:
        person = person_by_email(ref)
    if person is None:
        raise CommandError(f"no Capgo account {ref!r} in the directory")
    return person


def _message(exc: Exception) -> str:
    messages = getattr(exc, "messages", None)
    return "; ".join(messages) if messages else str(exc)
