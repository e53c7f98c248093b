"""Reads of the case loop. scoped.py: every read starts from what the person may see, with the joins
each page and endpoint needs; these are the app's public reads, re-exported here (cases.selectors.
case_list). pages.py: the reads only the workbench pages need, built on the scoped ones."""
from .scoped import (
    LIST_DEFERRED,
    LIST_RELATED,
    ROW_COLUMNS,
    ROWS_JOINED,
    case_detail,
    case_detail_api,
    case_list,
    case_lists_attach,
    case_queue,
    case_receipt,
    case_rows,
    case_rows_complete,
    case_search_filter,
    cases_overdue,
    cases_visible,
    references_attach,
    requests_pending,
    tasks_for_collector,
)

__all__ = [
    "LIST_DEFERRED",
    "LIST_RELATED",
    "ROWS_JOINED",
    "ROW_COLUMNS",
    "case_detail",
    "case_detail_api",
    "case_list",
    "case_lists_attach",
    "case_queue",
    "case_receipt",
    "case_rows",
    "case_rows_complete",
    "case_search_filter",
    "cases_overdue",
    "cases_visible",
    "references_attach",
    "requests_pending",
    "tasks_for_collector",
]
