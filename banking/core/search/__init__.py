"""Search across all of one customer's accounts: parse what they typed, find the rows.

- `parse`: the query string -> `SearchQuery` (an amount, a day, or words);
- `queries`: one page of matches, read through a bounded window of recent entries.

Categories are not searchable yet: they do not exist (issue 17, item 1).
"""

from banking.core.search.parse import MAX_QUERY_LENGTH, InvalidSearch, SearchQuery, parse_query
from banking.core.search.queries import SCAN_WINDOW, SearchPage, SearchResult, search_page

__all__ = [
    "MAX_QUERY_LENGTH",
    "SCAN_WINDOW",
    "InvalidSearch",
    "SearchPage",
    "SearchQuery",
    "SearchResult",
    "parse_query",
    "search_page",
]
