"""`operators`: everyone who signs in, for admins."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.people.reading import people
from api.graphql.people.types import Person
from api.graphql.permissions import IsAdmin


@strawberry.type
class PeopleQuery:
    @strawberry.field(permission_classes=[IsAdmin],
                      description="Every operator, active or not, by login: role, access-group "
                                  "and queue membership, presence, last sign-in. Admins only.")
    async def operators(self, info: Info) -> list[Person]:
        return await people(info.context.app)
