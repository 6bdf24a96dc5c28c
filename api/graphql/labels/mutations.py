"""`createLabel`, `renameLabel`, `deleteLabel` (admins) and `setDialogLabels` (operators on the
dialogs delivered to them, admins on any; auditors only read). Each answers once the labels'
read model holds the change, so that what is read next shows it."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from api.graphql.catch_up import read_models_caught_up
from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.queries import parse_id
from api.graphql.labels.types import (
    DeleteLabelSuccess,
    Label,
    LabelSuccess,
    SetDialogLabelsSuccess,
)
from api.graphql.permissions import CanWrite, IsAdmin
from application.errors import DomainError
from application.labels import CreateLabel, DeleteLabel, RenameLabel, SetDialogLabels

LabelResult = Annotated[LabelSuccess | UserError, strawberry.union("LabelResult")]
DeleteLabelResult = Annotated[DeleteLabelSuccess | UserError,
                              strawberry.union("DeleteLabelResult")]
SetDialogLabelsResult = Annotated[SetDialogLabelsSuccess | UserError,
                                  strawberry.union("SetDialogLabelsResult")]
READ_MODEL = "labels"
MAX_IDS = 100
NO_LABEL = "No such label (deleted, perhaps)."


@strawberry.type
class LabelsMutation:
    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="A new label: a name no other label has (ignoring case) "
                                     "and a colour of the palette or #rrggbb.")
    async def create_label(self, info: Info, name: str, color: str) -> LabelResult:
        app = info.context.app
        try:
            label = await app.bus.execute(CreateLabel(
                label_id=uuid.uuid4(), name=name, color=color, actor=info.context.me.actor))
        except DomainError as error:
            return UserError.of(error)
        await read_models_caught_up(app, READ_MODEL)
        return LabelSuccess(label=Label.of(label))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Renames a label (and recolours it when `color` is given); "
                                     "every dialog with it shows the new name.")
    async def rename_label(self, info: Info, id: strawberry.ID, name: str,
                           color: str | None = None) -> LabelResult:
        label_id = parse_id(id)
        if label_id is None:
            return UserError(code="LABEL_NOT_FOUND", message=NO_LABEL, field="id")
        app = info.context.app
        try:
            label = await app.bus.execute(RenameLabel(
                label_id=label_id, name=name, color=color, actor=info.context.me.actor))
        except DomainError as error:
            return UserError.of(error)
        await read_models_caught_up(app, READ_MODEL)
        return LabelSuccess(label=Label.of(label))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Deletes a label: it leaves every dialog (their history "
                                     "keeps it).")
    async def delete_label(self, info: Info, id: strawberry.ID) -> DeleteLabelResult:
        label_id = parse_id(id)
        if label_id is None:
            return UserError(code="LABEL_NOT_FOUND", message=NO_LABEL, field="id")
        app = info.context.app
        try:
            await app.bus.execute(DeleteLabel(label_id=label_id, actor=info.context.me.actor))
        except DomainError as error:
            return UserError.of(error)
        await read_models_caught_up(app, READ_MODEL)
        return DeleteLabelSuccess(id=id)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="The dialog's labels from now on (the whole list; empty: "
                                     "none), on a dialog delivered to you (admins: any).")
    async def set_dialog_labels(self, info: Info, dialog_id: strawberry.ID,
                                label_ids: list[strawberry.ID]) -> SetDialogLabelsResult:
        did = parse_id(dialog_id)
        if did is None:
            return UserError(code="NOT_FOUND", message="No such dialog among yours.",
                             field="dialogId")
        if len(label_ids) > MAX_IDS:
            return UserError(code="TOO_MANY_LABELS", field="labelIds",
                             message=f"At most {MAX_IDS} label ids.")
        ids = [parse_id(i) for i in label_ids]
        known = [i for i in ids if i is not None]
        if len(known) != len(ids):
            return UserError(code="LABEL_NOT_FOUND", message=NO_LABEL, field="labelIds")
        me = info.context.me
        app = info.context.app
        try:
            labels = await app.bus.execute(SetDialogLabels(
                dialog_id=did, operator_id=me.operator_id, label_ids=tuple(known),
                actor=me.actor))
        except DomainError as error:
            return UserError.of(error)
        await read_models_caught_up(app, READ_MODEL)
        return SetDialogLabelsSuccess(dialog_id=dialog_id,
                                      labels=[Label.of(label) for label in labels])
