"""Review 74: ``macros.placeholders_left`` refuses a public reply that still holds a macro
placeholder. It skips fenced code, single-backtick spans and ``${x}``, but not the other
code Markdown renders (indented blocks, double-backtick spans), nor the literal a macro
itself writes with ``{{name}}``: ordinary replies an agent types are refused.
"""

import pytest

from capdesk.console import macros
from capdesk.console.models import Macro
from capdesk.tickets import actions as ticket_actions
from capdesk.tickets.models import Message


@pytest.mark.parametrize(
    "body",
    [
        # An indented code block (CommonMark, as tickets.rendering renders replies).
        "Your component should look like this:\n\n    <p>Hello {name}</p>\n\nThen rebuild.",
        # A double-backtick code span, the way to quote code that holds a backtick.
        "Put ``{project}`` in the path, as in ``/apps/{project}/channels``.",
    ],
)
def test_code_the_customer_reads_as_code_is_not_an_unfilled_placeholder(db, body):
    assert macros.placeholders_left(body) == []


def test_a_macros_own_literal_braces_can_be_sent(client, cast):
    """``{{name}}`` in a macro is a literal (macros.fill): inserted as ``{name}``, then refused."""
    ticket = ticket_actions.open_ticket(
        subject="Template variables",
        body="How do I show the user's name in the update dialog?",
        channel="portal",
        requester=cast.developer,
        requester_email="dewi@acme.test",
        project=cast.project,
    )
    macro = Macro.objects.create(
        owner=cast.agent,
        title="Dialog template",
        body="Write {{name}} in the dialog text; the plugin fills it in.",
        shared=True,
    )
    chosen = macros.render_macro(f"m:{macro.pk}", ticket, cast.agent)
    assert chosen is not None and chosen.unfilled == ()
    client.force_login(cast.agent)
    # The literal reads as a placeholder once inserted: the desk asks, the agent confirms.
    refused = client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": chosen.body})
    assert refused.status_code == 422 and 'name="as_written"' in refused.content.decode()
    htmx = client.post(
        f"/console/tickets/{ticket.reference}/reply/", {"body": chosen.body}, headers={"HX-Request": "true"}
    )
    assert 'name="as_written"' in htmx.content.decode() and htmx["HX-Retarget"] == "#reply-errors"
    assert not Message.objects.filter(ticket=ticket, author_kind="agent", public=True).exists()
    client.post(f"/console/tickets/{ticket.reference}/reply/", {"body": chosen.body, "as_written": "on"})
    sent = Message.objects.get(ticket=ticket, author_kind="agent", public=True)
    assert sent.body_text == "Write {name} in the dialog text; the plugin fills it in."
