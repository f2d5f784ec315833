"""Indexes for the console's intake log: newest first, by channel, without a ticket, by sender."""

import django.db.models.functions.text
from django.db import migrations, models

import capdesk.intake.models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0006_inbound_preparing_until"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inboundrequest",
            index=models.Index(fields=["received_at", "id"], name="inbound_received_idx"),
        ),
        migrations.AddIndex(
            model_name="inboundrequest",
            index=models.Index(fields=["channel", "received_at", "id"], name="inbound_channel_received_idx"),
        ),
        migrations.AddIndex(
            model_name="inboundrequest",
            index=models.Index(
                condition=models.Q(("ticket__isnull", True)),
                fields=["received_at", "id"],
                name="inbound_no_ticket_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="inboundrequest",
            index=models.Index(
                django.db.models.functions.text.Lower("claimed_sender"),
                models.F("received_at"),
                models.F("id"),
                name="inbound_sender_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="inboundrequest",
            index=models.Index(
                capdesk.intake.models.SenderDomain("claimed_sender"),
                models.F("received_at"),
                models.F("id"),
                name="inbound_sender_domain_idx",
            ),
        ),
    ]
