"""Bulk operations of the fake shop: one query over orders or customers at a time, finished
after ``bulk_delay`` (or by the test), its nodes as a JSONL file the fake serves."""

import json
import time

from .common import iso, numeric_id, utcnow
from .graphql import GraphQLError, bulk_lines, connection_selection, parse_operation, resolve


class BulkOperations:
    """The bulk operations of :class:`ShopState` (a part of it: it reads ``bulk_operations``,
    ``bulk_files``, ``_bulk_ready_at``, ``base_url`` and the searches)."""

    def complete_bulk_operation(self):
        """Finish the running bulk operation now; its JSONL holds the nodes as they are."""
        with self.lock:
            operation = self._running_bulk_operation()
            if operation:
                self._finish_bulk_operation(operation)
            return operation

    def fail_bulk_operation(self, error_code="INTERNAL_SERVER_ERROR"):
        with self.lock:
            operation = self._running_bulk_operation()
            if operation:
                operation.update(status="FAILED", errorCode=error_code, completedAt=iso(utcnow()))
            return operation

    def _running_bulk_operation(self):
        operations = list(self.bulk_operations.values())
        if operations and operations[-1]["status"] in ("CREATED", "RUNNING"):
            return operations[-1]
        return None

    def _current_bulk_operation(self):
        operation = self._running_bulk_operation()
        if operation:
            ready_at = self._bulk_ready_at.get(operation["id"])
            if ready_at is not None and time.monotonic() >= ready_at:
                self._finish_bulk_operation(operation)
            else:
                operation["status"] = "RUNNING"
        return next(reversed(self.bulk_operations.values()), None)

    def _bulk_export(self, query):
        """The JSONL lines of a bulk query over orders or customers, and how many of them."""
        operation = parse_operation(query)
        root = operation.selections[0] if len(operation.selections) == 1 else None
        searches = {"orders": self.search_orders, "customers": self.search_customers}
        if operation.kind != "query" or root is None or root.name not in searches:
            raise GraphQLError("the fake Shopify exports one root connection: orders or customers")
        selections = connection_selection(root)
        if selections is None:
            raise GraphQLError("the root field must select edges { node } or nodes")
        search = searches[root.name]
        nodes = sorted(search(resolve(root.args, {}).get("query")), key=numeric_id)
        lines = [line for node in nodes for line in bulk_lines(node, selections)]
        return lines, len(nodes)

    def _finish_bulk_operation(self, operation):
        number = operation["id"].rsplit("/", 1)[1]
        try:
            lines, roots = self._bulk_export(operation["query"])
        except GraphQLError:
            operation.update(status="FAILED", errorCode="INTERNAL_SERVER_ERROR")
            return
        data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        self.bulk_files[number] = data
        operation.update(
            status="COMPLETED",
            completedAt=iso(utcnow()),
            objectCount=str(len(lines)),
            rootObjectCount=str(roots),
            fileSize=str(len(data)) if lines else None,
            url=f"{self.base_url}/bulk/{number}.jsonl" if lines else None,  # none: null
        )
