"""Setup mutations: admins only. Each accepted step is an event; a refused one records nothing
and answers a UserError naming the field and the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.permissions import IsAdmin
from api.graphql.setup.queries import read_wizard, setup_caught_up
from api.graphql.setup.types import (
    ConnectionMode,
    ConnectionScheme,
    ConnectionSetup,
    PbxType,
    PhonebookFormat,
    SetupMode,
    SetupWizard,
)
from application import setup as s
from application.errors import DomainError
from application.phones import to_e164
from application.setup_services import MailFailed, WrongCode

SetupResult = Annotated[SetupWizard | UserError, strawberry.union("SetupResult")]
DEFAULT_SERVER = "wss://1cdialog.com:443"


async def _step(info: Info, action: Callable[[], Awaitable[Any]]) -> SetupResult:
    try:
        await action()
    except DomainError as error:
        return UserError.of(error)
    except MailFailed as error:
        return UserError(code=error.code, message=error.message, field="email")
    except WrongCode as error:
        # The attempt is recorded (one fewer left): the wizard read next shows the new count.
        await setup_caught_up(info.context.app)
        return UserError(code=error.code, message=error.message, field="code")
    await setup_caught_up(info.context.app)
    return await read_wizard(info.context.app)


def _command(info: Info, command: object) -> Callable[[], Awaitable[Any]]:
    return lambda: info.context.app.bus.execute(command)


@strawberry.type
class SetupMutation:
    @strawberry.mutation(permission_classes=[IsAdmin], description="Step 1: the setup mode.")
    async def choose_setup_mode(self, info: Info, mode: SetupMode = SetupMode.FULL
                                ) -> SetupResult:
        return await _step(info, _command(info, s.ChooseSetupMode(
            mode=mode.value, actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 2: the infobase's publication; the connection "
                                     "moves to the web service.")
    async def set_publication(self, info: Info, server_url: str, publication_name: str
                              ) -> SetupResult:
        return await _step(info, _command(info, s.SetPublication(
            server_url=server_url, publication_name=publication_name,
            actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Switches the 1C-to-PBX connection mode.")
    async def set_connection_mode(self, info: Info, mode: ConnectionMode) -> SetupResult:
        return await _step(info, _command(info, s.SetConnectionMode(
            mode=mode.value, actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 3: mails a one-time code to the e-mail; requesting "
                                     "again sends a new code.")
    async def request_registration_code(self, info: Info, email: str,
                                        server: str = DEFAULT_SERVER) -> SetupResult:
        service = info.context.app.setup.registration
        return await _step(info, lambda: service.request_code(email, server,
                                                              info.context.me.actor))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 3: the mailed code completes the registration.")
    async def confirm_registration(self, info: Info, code: str) -> SetupResult:
        service = info.context.app.setup.registration
        return await _step(info, lambda: service.confirm(code, info.context.me.actor))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 4: the PBX type and how its connection is set up.")
    async def choose_pbx(self, info: Info, pbx_type: PbxType = PbxType.MIKOPBX,
                         connection_setup: ConnectionSetup = ConnectionSetup.AUTOMATIC
                         ) -> SetupResult:
        return await _step(info, _command(info, s.ChoosePbx(
            pbx_type=pbx_type.value, connection_setup=connection_setup.value,
            actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 5 (automatic): the auto-configuration code from the "
                                     "PBX module and the connection scheme.")
    async def apply_autoconfig_code(
        self, info: Info, code: str, scheme: ConnectionScheme, web_server: str = "",
        publication_name: str = "",
    ) -> SetupResult:
        service = info.context.app.setup.pbx
        return await _step(info, lambda: service.apply_code(
            code, scheme.value, web_server, publication_name, info.context.me.actor))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 5 (manual): the PBX's addresses and the scheme.")
    async def set_manual_pbx_connection(
        self, info: Info, addresses: list[str], scheme: ConnectionScheme, web_server: str = "",
        publication_name: str = "",
    ) -> SetupResult:
        return await _step(info, _command(info, s.SetManualConnection(
            addresses=addresses, scheme=scheme.value, web_server=web_server,
            publication_name=publication_name, actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 5: 'Configure' — checks the PBX in the background; "
                                     "`setupWizard.pbx.check` shows the progress. Run it again "
                                     "to retry.")
    async def configure_pbx(self, info: Info) -> SetupResult:
        service = info.context.app.setup.pbx
        return await _step(info, lambda: service.start_check(info.context.me.actor))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 6: an employee's extension and mobile number.")
    async def set_employee_phones(self, info: Info, operator_id: strawberry.ID,
                                  extension: str = "", mobile: str = "") -> SetupResult:
        try:
            oid = UUID(str(operator_id))
        except ValueError:
            return UserError(code="NOT_FOUND", message="No such employee.", field="operatorId")
        region = info.context.app.settings.phone_region
        try:
            number = to_e164(mobile, region) if mobile.strip() else ""
        except DomainError as error:
            return UserError(code=error.code, message=error.message, field="mobile")
        return await _step(info, _command(info, s.SetEmployeePhones(
            operator_id=oid, extension=extension, mobile=number, actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 6: the employees' numbers are as they should be.")
    async def confirm_employees(self, info: Info) -> SetupResult:
        return await _step(info, _command(info, s.ConfirmEmployees(actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 7: go on without linking a messenger now.")
    async def pass_messengers(self, info: Info) -> SetupResult:
        return await _step(info, _command(info, s.PassMessengers(actor=info.context.me.actor)))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 8: imports clients (name, company, phones) from CSV "
                                     "or JSON in the background; the wizard shows the progress "
                                     "and the rows refused.")
    async def import_phonebook(self, info: Info, format: PhonebookFormat, content: str
                               ) -> SetupResult:
        service = info.context.app.setup.phonebook
        return await _step(info, lambda: service.start_import(format.value, content,
                                                              info.context.me.actor))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Step 8: completes the setup once every step is done.")
    async def finish_setup(self, info: Info) -> SetupResult:
        return await _step(info, _command(info, s.CompleteSetup(actor=info.context.me.actor)))
