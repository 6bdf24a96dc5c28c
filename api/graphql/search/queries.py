"""`search(text, first, after)`: dialogs whose messages (texts, captions, file names) or client
(name, number in any spelling) match every word of a search in any of its forms. An operator
finds what their inbox shows; admins and auditors find everything. An empty search or one over
200 characters is refused with a code (SEARCH_EMPTY, SEARCH_TOO_LONG)."""

from __future__ import annotations

import strawberry
from anyio import to_thread

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.inbox.types import PageInfo
from api.graphql.permissions import IsAuthenticated
from api.graphql.search.types import SearchAnswer, SearchConnection, SearchEdge, SearchResult
from application.errors import DomainError
from application.search import parse_search, reads_everything
from projections import search as view

MAX_PAGE = 50


@strawberry.type
class SearchQuery:
    @strawberry.field(permission_classes=[IsAuthenticated],
                      description="Dialogs matching every word (any form; a number in any "
                                  "spelling) of `text`, newest first, `first` at a time.")
    async def search(self, info: Info, text: str, first: int = 20,
                     after: str | None = None) -> SearchAnswer:
        if not 1 <= first <= MAX_PAGE:
            raise ValueError(f"`first` is between 1 and {MAX_PAGE}.")
        cursor = view.decode_cursor(after)
        try:
            search = parse_search(text)
        except DomainError as error:
            return UserError.of(error)
        me = info.context.me
        engine = info.context.app.reads
        everything = reads_everything(me.role)

        def read() -> view.SearchPage:
            with engine.connect() as conn:
                return view.search(conn, search, operator_id=me.operator_id,
                                   everything=everything, first=first, after=cursor)

        page = await to_thread.run_sync(read)
        edges = [SearchEdge(cursor=r.cursor, node=SearchResult.of(r)) for r in page.results]
        return SearchConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))
