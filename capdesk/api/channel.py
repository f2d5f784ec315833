"""The "api" intake channel: a ticket opened through the REST API on behalf of a Capgo account.

The document is the same JSON a portal form produces (web_channel), and the caller
has proven who the customer is: the Capgo platform vouches for the account id (as
its signed dashboard token does), or a staff agent files it for the customer. So the
same handler processes it, under the same policy decision.
"""

from __future__ import annotations

from capdesk.intake.channels import register
from capdesk.intake.web_channel import _handle

register("api")(_handle)
