"""Factories for test data, and the personas every permission test uses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from capdesk.directory.models import (
    EmailAddress,
    Organization,
    Person,
    Plan,
    Project,
    RoleBinding,
    SubscriptionStatus,
)
from capdesk.tickets.models import Queue, QueueMembership
from capdesk.tickets.restriction import set_restricted


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    plan = Plan.TEAM
    subscription_status = SubscriptionStatus.ACTIVE
    timezone = "Asia/Jakarta"
    credits_balance = Decimal("0")


def _add_email(person: Person, create: bool, extracted: str | None) -> None:
    """``PersonFactory(email="a@b.test")`` registers that address; by default one is made up."""
    if create:
        EmailAddress.objects.create(
            person=person, email=extracted or f"person{person.pk}@example.com", primary=True
        )


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Person {n}")

    email = factory.PostGeneration(
        lambda person, create, extracted, **kw: _add_email(person, create, extracted)
    )


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project

    app_id = factory.Sequence(lambda n: f"com.example.app{n}")
    name = factory.Sequence(lambda n: f"App {n}")
    organization = factory.SubFactory(OrganizationFactory)


def bind(
    person: Person, role: str, *, organization: Organization | None = None, project: Project | None = None
) -> RoleBinding:
    org = organization or (project.organization if project else None)
    assert org is not None
    return RoleBinding.objects.create(person=person, organization=org, project=project, role=role)


# Every user the tests make signs in with it.
PASSWORD = "correct horse battery"


def make_user(username: str, *, staff: bool = False, superuser: bool = False) -> AbstractUser:
    user_model = get_user_model()
    user = user_model.objects.create_user(
        username=username,
        password=PASSWORD,
        is_staff=staff,
        is_superuser=superuser,
        email=f"{username}@capgo.app",
    )
    assert isinstance(user, AbstractUser)
    return user


def restrict(user: AbstractUser, *queues: Queue) -> None:
    """Restrict ``user`` to ``queues`` (none given: to no queue at all), as an admin does."""
    set_restricted(user, True)
    QueueMembership.objects.bulk_create([QueueMembership(user_id=user.pk, queue=q) for q in queues])


@dataclass
class Personas:
    """The cast of every permission test (CONVENTIONS.md)."""

    org: Organization
    project: Project
    developer: Person  # app_developer on the project
    reader: Person  # app_reader on the project
    org_admin: Person
    billing_admin: Person  # org_billing_admin: billing rights, no app rights
    outsider: Person  # developer in another organization
    other_project: Project
    agent: AbstractUser
    admin: AbstractUser


def personas() -> Personas:
    org = OrganizationFactory.create(name="Acme Apps")
    project = ProjectFactory.create(organization=org, app_id="com.acme.shop", name="Acme Shop")
    developer = PersonFactory.create(name="Dewi Developer", email="dewi@acme.test")
    reader = PersonFactory.create(name="Rudi Reader", email="rudi@acme.test")
    org_admin = PersonFactory.create(name="Ana Admin", email="ana@acme.test")
    billing_admin = PersonFactory.create(name="Bima Billing", email="bima@acme.test")
    bind(developer, "app_developer", project=project)
    bind(reader, "app_reader", project=project)
    bind(org_admin, "org_admin", organization=org)
    bind(billing_admin, "org_billing_admin", organization=org)
    other_org = OrganizationFactory.create(name="Other Corp")
    other_project = ProjectFactory.create(organization=other_org, app_id="com.other.app")
    outsider = PersonFactory.create(name="Omar Outsider", email="omar@other.test")
    bind(outsider, "app_developer", project=other_project)
    return Personas(
        org=org,
        project=project,
        developer=developer,
        reader=reader,
        org_admin=org_admin,
        billing_admin=billing_admin,
        outsider=outsider,
        other_project=other_project,
        agent=make_user("agent", staff=True),
        admin=make_user("admin", staff=True, superuser=True),
    )
