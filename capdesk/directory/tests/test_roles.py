"""E4's rule, role by role: who is Developer-or-higher on a project (CAPGO.md, "Roles")."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capdesk.directory.roles import (
    Binding,
    Role,
    binding_can_grant_developer,
    is_developer_or_higher,
    normalise_role,
)

LEGACY_NAMES = ["read", "upload", "write", "admin", "super_admin"]
INVITE_NAMES = [f"invite_{name}" for name in LEGACY_NAMES]

# Every role name Capgo sends, and whether it grants Developer-or-higher when bound
# (on the organization: on all its apps; on one app: on that app). Written out by
# hand from CAPGO.md rather than derived from roles.py, so the two check each other.
ROLE_TABLE: dict[str, tuple[bool, bool]] = {
    # name: (bound on the org, bound on the app)
    "org_super_admin": (True, False),
    "org_admin": (True, False),
    "org_billing_admin": (False, False),  # billing rights only, though it outranks app_developer
    "org_member": (False, False),  # outranks app_developer too, and grants no app rights
    "app_admin": (False, True),
    "app_developer": (False, True),  # an app role means nothing unless bound on an app
    "app_uploader": (False, False),
    "app_reader": (False, False),
    "app_preview": (False, False),
    "app_notifications": (False, False),
    "channel_admin": (False, False),
    "channel_reader": (False, False),
    "bundle_admin": (False, False),
    "bundle_reader": (False, False),
    "api_key": (False, False),
    # Legacy names: read < upload < write < admin < super_admin; `write` became app_developer.
    "read": (False, False),
    "upload": (False, False),
    "write": (True, True),  # on the org, the legacy API meant write on every app of it
    "admin": (True, True),
    "super_admin": (True, True),
    # Pending invitations grant nothing, whatever they would become.
    "invite_read": (False, False),
    "invite_upload": (False, False),
    "invite_write": (False, False),
    "invite_admin": (False, False),
    "invite_super_admin": (False, False),
}

ORG = "org-acme"
APP = "app-shop"
SIBLING_APP = "app-blog"  # another app of the same organization
OTHER_ORG = "org-other"
OTHER_ORG_APP = "app-other"
APP_ORG = {APP: ORG, SIBLING_APP: ORG, OTHER_ORG_APP: OTHER_ORG}

ROWS = [
    pytest.param(name, scope, target, id=f"{name}-on-{scope}-asks-{target}")
    for name in ROLE_TABLE
    for scope in ("org", "app")
    for target in ("same app", "sibling app", "other org")
]


def _target(target: str) -> str:
    return {"same app": APP, "sibling app": SIBLING_APP, "other org": OTHER_ORG_APP}[target]


def _expected(name: str, scope: str, target: str) -> bool:
    on_org, on_app = ROLE_TABLE[name]
    if target == "other org":
        return False
    if scope == "org":
        return on_org
    return on_app and target == "same app"


def test_it_has_a_row_for_every_role_capgo_defines() -> None:
    assert {role.value for role in Role} | set(LEGACY_NAMES) | set(INVITE_NAMES) == set(ROLE_TABLE)


@pytest.mark.parametrize(("name", "scope", "target"), ROWS)
def test_it_grants_developer_exactly_as_capgo_md_says(name: str, scope: str, target: str) -> None:
    binding = Binding(role=name, org_id=ORG, app_id=APP if scope == "app" else None)
    app = _target(target)
    assert is_developer_or_higher([binding], app_id=app, app_org_id=APP_ORG[app]) is _expected(
        name, scope, target
    )


@pytest.mark.parametrize("name", ["App_Developer", " write ", "ORG_ADMIN", "Super_Admin"])
def test_it_reads_role_names_in_any_case_and_spacing(name: str) -> None:
    scope_app = None if name.strip().lower() in {"org_admin", "super_admin"} else APP
    binding = Binding(role=name, org_id=ORG, app_id=scope_app)
    assert is_developer_or_higher([binding], app_id=APP, app_org_id=ORG)


@pytest.mark.parametrize("name", ["", "owner", "developer", "app_developer_2", "write,admin"])
def test_it_grants_nothing_for_a_role_name_it_does_not_know(name: str) -> None:
    assert normalise_role(name, on_app=True) is None
    for app_id in (None, APP):
        assert not is_developer_or_higher([Binding(name, ORG, app_id)], app_id=APP, app_org_id=ORG)


def test_it_grants_nothing_without_bindings() -> None:
    assert not is_developer_or_higher([], app_id=APP, app_org_id=ORG)


def test_it_ignores_an_app_binding_whose_organization_is_not_the_apps() -> None:
    # The app id matches, the organization does not: a stale binding after a transfer.
    binding = Binding(role="app_developer", org_id=OTHER_ORG, app_id=APP)
    assert not is_developer_or_higher([binding], app_id=APP, app_org_id=ORG)


def test_it_never_lets_the_roles_that_outrank_app_developer_grant_app_rights() -> None:
    # Capgo's priority_rank: org_member 75 and org_billing_admin 80 sit above app_developer 68.
    outranking = [
        Binding(role=name, org_id=ORG, app_id=app_id)
        for name in ("org_member", "org_billing_admin")
        for app_id in (None, APP)
    ]
    assert not is_developer_or_higher(outranking, app_id=APP, app_org_id=ORG)


# Who can grant App Developer, for a `deny_role` reply: an administrator of the scope.
GRANTOR_TABLE: dict[str, tuple[bool, bool]] = {
    "org_super_admin": (True, False),
    "org_admin": (True, False),
    "super_admin": (True, True),
    "admin": (True, True),
    "app_admin": (False, True),
}


@pytest.mark.parametrize(("name", "scope", "target"), ROWS)
def test_it_names_as_grantors_only_the_administrators_of_the_scope(
    name: str, scope: str, target: str
) -> None:
    on_org, on_app = GRANTOR_TABLE.get(name, (False, False))
    expected = target != "other org" and (on_org if scope == "org" else on_app and target == "same app")
    binding = Binding(role=name, org_id=ORG, app_id=APP if scope == "app" else None)
    app = _target(target)
    assert binding_can_grant_developer(binding, app_id=app, app_org_id=APP_ORG[app]) is expected


# Property tests: the answer is the table's, whatever else a person holds.
NEVER_GRANTING = sorted(name for name, (on_org, on_app) in ROLE_TABLE.items() if not on_org and not on_app)
role_names = st.sampled_from(sorted(ROLE_TABLE)) | st.text(max_size=12)
bindings = st.builds(
    Binding,
    role=role_names,
    org_id=st.sampled_from([ORG, OTHER_ORG]),
    app_id=st.sampled_from([None, APP, SIBLING_APP, OTHER_ORG_APP]),
)
harmless = st.builds(
    Binding,
    role=st.sampled_from(NEVER_GRANTING),
    org_id=st.sampled_from([ORG, OTHER_ORG]),
    app_id=st.sampled_from([None, APP, SIBLING_APP, OTHER_ORG_APP]),
)


def _oracle(held: list[Binding], app: str) -> bool:
    """The table read directly: some binding in the app's organization, on its org or on the app."""
    for b in held:
        name = b.role.strip().lower()
        if b.org_id != APP_ORG[app] or name not in ROLE_TABLE:
            continue
        on_org, on_app = ROLE_TABLE[name]
        if (b.app_id is None and on_org) or (b.app_id == app and on_app):
            return True
    return False


@given(held=st.lists(bindings, max_size=8), app=st.sampled_from(sorted(APP_ORG)))
def test_it_always_agrees_with_the_table(held: list[Binding], app: str) -> None:
    assert is_developer_or_higher(held, app_id=app, app_org_id=APP_ORG[app]) is _oracle(held, app)


@given(
    held=st.lists(bindings, max_size=6),
    extra=st.lists(harmless, min_size=1, max_size=6),
    app=st.sampled_from(sorted(APP_ORG)),
)
def test_it_never_grants_more_for_holding_more_non_developer_roles(
    held: list[Binding], extra: list[Binding], app: str
) -> None:
    before = is_developer_or_higher(held, app_id=app, app_org_id=APP_ORG[app])
    after = is_developer_or_higher([*extra, *held, *extra], app_id=app, app_org_id=APP_ORG[app])
    assert after is before


@given(held=st.lists(bindings, max_size=8), app=st.sampled_from(sorted(APP_ORG)), data=st.data())
def test_it_does_not_care_in_which_order_bindings_come(
    held: list[Binding], app: str, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(held))
    assert is_developer_or_higher(shuffled, app_id=app, app_org_id=APP_ORG[app]) is is_developer_or_higher(
        held, app_id=app, app_org_id=APP_ORG[app]
    )
