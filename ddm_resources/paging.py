"""A whole list of the DDM V3 API, read page by page (docs/ddm-api.md section 1), bounded.

`all_items` asks the pages of one list through a `fetch` given by `client.DdmClient` (which sends
and parses each), so the paging rules live apart from the sending: how `offset` is read, when a
list ends, and when answers that contradict each other make it fail closed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pydantic

from .errors import DdmError
from .models import Page

__all__ = ["MAX_PAGES", "PAGE_SIZE", "all_items"]

PAGE_SIZE = 128
"""`limit` of every list call: the documented maximum (docs/ddm-api.md section 1)."""
MAX_PAGES = 200
"""Longest list read (25,600 items at `PAGE_SIZE`): past it, a list call fails closed."""

_P = TypeVar("_P", bound=Page)
_T = TypeVar("_T")


def all_items(
    fetch: Callable[[dict[str, Any]], _P], path: str, items: Callable[[_P], Sequence[_T]], *,
    cap: int | None = None, on_cut: Callable[[str, int, int], None] | None = None,
) -> list[_T]:
    """Every item of the V3 list at `path`, read page by page with `fetch({"offset": ..., "limit": ...})`
    (the page parsed; `items` picks its items); at most `MAX_PAGES` pages, or `cap` pages when
    `on_cut(path, items_read, total_claimed)` is given to hear that the list was cut there.

    `offset` is documented as an item index in the query but echoed as a page number in
    the answer, so both readings are handled: pages are asked by item index
    (`offset` = items seen) until a page comes back empty while `total` says more exist;
    then by page number (`offset` = 1, 2, ...; a page that repeats items already seen is
    passed over once, for numbering from 1). It ends when `total` items are seen. Raises
    `DdmError` (fail closed, as for an unreadable list) when `MAX_PAGES` pages do not reach the
    end, when pages stop bringing new items, or when a page shorter than the `limit` asked (or
    echoed) comes while `total` says more items exist: the answers contradict each other.
    """
    seen: dict[str, _T] = {}
    by_page, offset, stalled = False, 0, 0
    for _ in range(min(cap, MAX_PAGES) if cap is not None else MAX_PAGES):
        page = fetch({"offset": offset, "limit": PAGE_SIZE})
        batch = items(page)
        fresh = 0
        for item in batch:
            key = item.model_dump_json() if isinstance(item, pydantic.BaseModel) else repr(item)
            if key not in seen:
                seen[key] = item
                fresh += 1
        if len(seen) >= page.total:
            return list(seen.values())
        if batch and len(batch) < min(PAGE_SIZE, page.limit or PAGE_SIZE):
            raise DdmError(f"GET {path}: a page of {len(batch)} items, shorter than the limit asked, ends the "
                           f"list at {len(seen)} items, but the service claims {page.total}; the answers "
                           "contradict each other, so the list is not used (refusing to guess the rest)")
        if not batch and not by_page and offset > 0:
            by_page, offset = True, 1
            continue
        if not batch:
            return list(seen.values())
        stalled = 0 if fresh else stalled + 1
        if stalled > 1:
            raise DdmError(f"GET {path}: the list stopped advancing at {len(seen)} of {page.total} items "
                           "(the service repeats pages); refusing to guess the rest")
        offset = offset + 1 if by_page else len(seen)
    if cap is not None and on_cut is not None and cap < MAX_PAGES:
        on_cut(path, len(seen), page.total)
        return list(seen.values())
    raise DdmError(f"GET {path}: the list did not end within {MAX_PAGES} pages of {PAGE_SIZE} "
                   f"({len(seen)} items read, the service claims {page.total}); refusing to guess the rest")
