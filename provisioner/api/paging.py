"""Paging a ``*.search`` method safely: driven by ``has_more`` and the hits actually received,
never by the ``total`` a server claims, and bounded.

A page is checked before use (``hits`` a list of objects, ``has_more`` a boolean): a malformed
answer raises ``UnexpectedAnswer`` naming the method. Paging stops when ``has_more`` is false or
a page brings no hit, and fails (``UnexpectedAnswer``) after ``MAX_SEARCH_PAGES`` pages or
``MAX_SEARCH_HITS`` hits: a server claiming ``total: 10**9`` while sending one hit per page
costs at most that many requests, and bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.errors import ApiError

MAX_SEARCH_PAGES = 1000
"""Pages one search may take: 100,000 objects at 100 a page."""
MAX_SEARCH_HITS = 100_000
"""Objects one search may return."""


class UnexpectedAnswer(ApiError):
    """The API answered with a result of the wrong shape (not retried: the same call would get
    the same answer)."""


@dataclass(frozen=True)
class Page:
    hits: list[dict[str, Any]]
    has_more: bool
    total: int | None


def page_of(method: str, result: Any, more: str = "has_more") -> Page:
    """The checked page a ``*.search`` call answered (``more``: the name of its has-more flag,
    ``hasMore`` in REST v2)."""
    if not isinstance(result, dict):
        raise unexpected(method, "a search page (an object)", result)
    hits = result.get("hits")
    if hits is None:
        hits = []
    if not isinstance(hits, list) or not all(isinstance(hit, dict) for hit in hits):
        raise unexpected(method, "hits as a list of objects", hits, "hits")
    has_more = result.get(more, False)
    if not isinstance(has_more, bool):
        raise unexpected(method, f"{more} as a boolean", has_more, more)
    total = result.get("total")
    return Page(hits, has_more, total if type(total) is int and total >= 0 else None)


def unexpected(method: str, expected: str, got: Any, where: str = "result") -> UnexpectedAnswer:
    shown = "null" if got is None else type(got).__name__
    return UnexpectedAnswer(f"{method}: the API answered an unexpected {where} ({shown}; "
                            f"expected {expected})")


@dataclass
class Budget:
    """Counts the pages and hits of one search; ``take`` fails past the bounds."""

    method: str
    pages: int = 0
    hits: int = 0

    def take(self, page: Page) -> None:
        self.pages += 1
        self.hits += len(page.hits)
        if self.pages > MAX_SEARCH_PAGES or self.hits > MAX_SEARCH_HITS:
            raise UnexpectedAnswer(
                f"{self.method}: still more after {self.pages} pages and {self.hits} hits "
                f"(at most {MAX_SEARCH_PAGES} pages or {MAX_SEARCH_HITS} hits are read): "
                "the server keeps claiming more, so paging stops here"
            )


def fan_out(first: Page, page_size: int) -> list[int]:
    """Offsets of the pages still to read, when they may be read at once: only after a full
    first page that says more follow, and never more than the bounds allow. Otherwise empty
    (paging goes on one page after the other, as ``has_more`` says)."""
    got = len(first.hits)
    if not first.has_more or got < page_size or first.total is None:
        return []
    end = min(first.total, got * MAX_SEARCH_PAGES, MAX_SEARCH_HITS)
    return list(range(got, end, got))
