from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.catch_up import read_models_caught_up
from api.graphql.context import Info
from api.graphql.permissions import CanAudit, IsAdmin, IsAuthenticated
from api.graphql.setup.types import (
    OutboxMail,
    Phonebook,
    PhonebookContact,
    SetupWizard,
    build_wizard,
)
from application.services import Services
from projections import channel as channel_view
from projections import operators as operators_view
from projections import setup as setup_view
from projections.audit import trail as audit


async def setup_caught_up(app: Services) -> None:
    """The read models the wizard shows: the audit's sections, the phonebook, the operators."""
    await read_models_caught_up(app, "audit", "phonebook", "operators", "whatsapp")


async def read_wizard(app: Services) -> SetupWizard:
    engine = app.reads

    def read() -> SetupWizard:
        with engine.connect() as conn:
            current = audit.current_configuration(conn)
            operators = operators_view.list_operators(conn)
            size, _ = setup_view.phonebook_entries(conn, first=0)
            channel = channel_view.channel_row(conn)
        return build_wizard(current.states, setup_view.wizard_view(current.states), operators,
                            size, str(channel.status) if channel else "STOPPED")

    return await to_thread.run_sync(read)


@strawberry.type
class SetupQuery:
    @strawberry.field(permission_classes=[CanAudit],
                      description="The setup wizard: current step, each step's state and what "
                                  "is missing, and the settings so far.")
    async def setup_wizard(self, info: Info) -> SetupWizard:
        await setup_caught_up(info.context.app)
        return await read_wizard(info.context.app)

    @strawberry.field(permission_classes=[IsAdmin],
                      description="Development only: mails kept instead of sent, newest first "
                                  "(empty when mail leaves through SMTP).")
    async def dev_outbox(self, info: Info, first: int = 10) -> list[OutboxMail]:
        outbox = info.context.app.setup.outbox
        if outbox is None or not info.context.app.settings.is_development:
            return []
        mails = await to_thread.run_sync(outbox.messages, max(1, min(first, 100)))
        return [OutboxMail(id=strawberry.ID(m.id), to=m.to, subject=m.subject, body=m.body,
                           sent_at=m.sent_at) for m in mails]

    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="The phonebook the setup filled, by name.")
    async def phonebook(self, info: Info, search: str = "", first: int = 50) -> Phonebook:
        engine = info.context.app.reads

        def read() -> Phonebook:
            with engine.connect() as conn:
                total, entries = setup_view.phonebook_entries(
                    conn, search=search, first=max(1, min(first, 200)))
            return Phonebook(total=total, contacts=[PhonebookContact.of(e) for e in entries])

        return await to_thread.run_sync(read)
