"""Message templates: the messages Meta approved for the company's WhatsApp Business Account —
the only thing the Cloud API lets a business send once 24 hours have passed since the client's
last message (error 131047 otherwise).

One aggregate holds the account's templates as they were when an admin last synchronised them
(`Synchronised`: the whole list, and who asked). Operators pick an approved one by name and
language and fill its body's `{{1}}`, `{{2}}`… parameters; what the dialog shows is the body with
the parameters filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValue, NotAllowed, NotFound
from domain.ids import natural_id

TEMPLATES_ID = natural_id("message-templates", "cloud")
APPROVED = "APPROVED"
MAX_BODY = 1024  # Meta: a template's body, parameters filled in, is at most 1,024 characters
MAX_PARAMETER = 1024
MAX_TEMPLATES = 1000
PLACEHOLDER = re.compile(r"\{\{\s*(\d{1,2})\s*\}\}")


class TemplateNotFound(NotFound):
    code = "TEMPLATE_NOT_FOUND"


class TemplateNotApproved(NotAllowed):
    code = "TEMPLATE_NOT_APPROVED"


class TemplateParameters(InvalidValue):
    code = "TEMPLATE_PARAMETERS"


@dataclass(frozen=True)
class Template:
    """One template in one language, as the business account lists it."""

    name: str
    language: str
    status: str
    category: str
    body: str
    parameters: int

    @property
    def approved(self) -> bool:
        return self.status == APPROVED

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "language": self.language, "status": self.status,
                "category": self.category, "body": self.body, "parameters": self.parameters}

    @classmethod
    def of(cls, value: dict[str, Any]) -> Template:
        return cls(name=str(value["name"]), language=str(value["language"]),
                   status=str(value["status"]), category=str(value["category"]),
                   body=str(value["body"]), parameters=int(value["parameters"]))

    def render(self, parameters: list[str] | tuple[str, ...]) -> str:
        """The body with `{{n}}` replaced by the n-th parameter; refuses a wrong count, an empty
        parameter, or one Meta refuses (new lines, tabs, more than four spaces in a row)."""
        if len(parameters) != self.parameters:
            raise TemplateParameters(
                f"The template {self.name!r} takes {self.parameters} parameter(s); "
                f"{len(parameters)} given.", field="parameters")
        for value in parameters:
            if not value.strip():
                raise TemplateParameters("Fill in every parameter of the template.",
                                         field="parameters")
            if len(value) > MAX_PARAMETER or "\n" in value or "\t" in value \
                    or "     " in value:
                raise TemplateParameters(
                    "A template parameter is one line without tabs or more than four spaces "
                    "in a row.", field="parameters")
        text = PLACEHOLDER.sub(lambda m: parameters[int(m.group(1)) - 1], self.body)
        if len(text) > MAX_BODY:
            raise TemplateParameters(f"The filled-in template is over {MAX_BODY} characters.",
                                     field="parameters")
        return text


def parameter_count(body: str) -> int:
    """How many parameters a body takes: Meta numbers them `{{1}}`, `{{2}}`… without gaps."""
    found = {int(n) for n in PLACEHOLDER.findall(body)}
    return max(found) if found else 0


def check_template(template: Template) -> Template:
    if not template.name.strip() or not template.language.strip():
        raise InvalidValue("A template has a name and a language.", field="templates")
    found = {int(n) for n in PLACEHOLDER.findall(template.body)}
    if (found and found != set(range(1, max(found) + 1))) \
            or template.parameters != parameter_count(template.body):
        raise InvalidValue(f"The template {template.name!r} numbers its parameters with gaps.",
                           field="templates")
    return template


class MessageTemplates(Aggregate):
    """The business account's templates, as last synchronised."""

    class Opened(Aggregate.Created):
        actor: str

    class Synchronised(Aggregate.Event):
        """The account's whole list at `at` (each: name, language, status, category, body
        text, parameter count), read from the Graph API by `actor`."""

        templates: list[dict[str, Any]]
        at: datetime
        actor: str

    @staticmethod
    def create_id() -> UUID:
        return TEMPLATES_ID

    @event(Opened)
    def __init__(self, actor: str) -> None:
        self.templates: dict[tuple[str, str], Template] = {}
        self.synchronised_at: datetime | None = None

    def synchronise(self, templates: list[Template], *, at: datetime, actor: str) -> None:
        if len(templates) > MAX_TEMPLATES:
            raise InvalidValue(f"At most {MAX_TEMPLATES} templates are kept.",
                               field="templates")
        unique = {(t.name, t.language): check_template(t) for t in templates}
        self._synchronised(templates=[t.as_dict() for t in unique.values()], at=at,
                           actor=actor)

    @event(Synchronised)
    def _synchronised(self, templates: list[dict[str, Any]], at: datetime, actor: str) -> None:
        self.templates = {(t.name, t.language): t for t in map(Template.of, templates)}
        self.synchronised_at = at

    def approved(self, name: str, language: str) -> Template:
        """The template an operator may send, or the reason not."""
        found = self.templates.get((name, language))
        if found is None:
            raise TemplateNotFound(f"No template {name!r} in {language!r}: synchronise the "
                                   "templates, or pick another.", field="name")
        if not found.approved:
            raise TemplateNotApproved(f"The template {name!r} is {found.status.lower()}, "
                                      "not approved by Meta.", field="name")
        return found
