"""The seller API endpoints of the fake Mirakl, one function per API code (A01, OR11, OR21...):
``handler(fake, entry, **path parameters)`` answers a request that passed auth, faults and
rate limits (``server.py``), or raises :class:`MiraklError`."""

import copy
import csv
import email
import email.policy
import io

from ..harness import Reply, routes
from .common import CANCELABLE, ORDER_STATES, MiraklError, empty_reply, iso, json_reply, parse_time


def json_body(entry):
    payload = entry.json_or_none()
    if not isinstance(payload, dict):
        raise MiraklError(400, "The request body must be a JSON object")
    return payload


def find_order(fake, order_id):
    order = fake.orders.get(order_id)
    if order is None:
        raise MiraklError(404, f"Order with id {order_id} not found")
    return order


# -- A01, RE01


def account(fake, entry):
    return json_reply(
        200,
        {
            "shop_id": fake.account_shop_id,
            "shop_name": fake.shop_name,
            "shop_state": "OPEN",
            "currency_iso_code": fake.currency,
            "is_professional": True,
            "premium": False,
            "offers_count": len(fake.offers),
            "channels": [{"code": "FR", "label": "France"}],
            "contact_informations": {"email": "seller@example.com", "country": "FRA"},
            "shipping_info": {"default_shipping_type_code": "STD"},
            "domains": [],
        },
    )


def reasons(fake, entry):
    wanted = entry.query.get("type")
    found = [r for r in fake.reasons if not wanted or r["type"] == wanted]
    return json_reply(200, {"reasons": found})


# -- OR11


def int_param(entry, name, default, minimum):
    raw = entry.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise MiraklError(400, f"Invalid value '{raw}' for parameter '{name}'") from None
    if value < minimum:
        raise MiraklError(400, f"Parameter '{name}' must be at least {minimum}")
    return value


def time_param(entry, name):
    raw = entry.query.get(name)
    if not raw:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise MiraklError(400, f"Invalid date '{raw}' for parameter '{name}'") from None


def list_orders(fake, entry):
    size = int_param(entry, "max", fake.default_page, 1)
    if size > fake.max_page:
        raise MiraklError(400, f"Parameter 'max' must not exceed {fake.max_page}")
    offset = int_param(entry, "offset", 0, 0)
    paginate = entry.query.get("paginate", "true").lower() != "false"
    ids = {i for i in entry.query.get("order_ids", "").split(",") if i}
    states = {s for s in entry.query.get("order_state_codes", "").split(",") if s}
    unknown = states - set(ORDER_STATES)
    if unknown:
        raise MiraklError(400, f"Unknown order state code(s): {', '.join(sorted(unknown))}")
    start_update = time_param(entry, "start_update_date")
    end_update = time_param(entry, "end_update_date")
    start_created = time_param(entry, "start_date")
    end_created = time_param(entry, "end_date")
    if start_update is not None and fake.update_overlap:
        start_update -= fake.update_overlap  # Mirakl's safety delta
    found = []
    for order in fake.orders.values():
        updated, created = (
            parse_time(order["last_updated_date"]),
            parse_time(order["created_date"]),
        )
        if (
            (ids and order["order_id"] not in ids)
            or (states and order["order_state"] not in states)
            or (start_update and updated < start_update)
            or (end_update and updated > end_update)
            or (start_created and created < start_created)
            or (end_created and created > end_created)
        ):
            continue
        found.append(order)
    found.sort(key=lambda o: (parse_time(o[fake.sort_by]), o["order_id"]))
    if entry.query.get("order", "asc").lower() == "desc":
        found.reverse()
    page = found[offset : offset + size] if paginate else found
    return json_reply(200, {"orders": copy.deepcopy(page), "total_count": len(found)})


# -- OR21


def accept(fake, entry, order_id):
    order = find_order(fake, order_id)
    payload = json_body(entry)
    decisions = payload.get("order_lines")
    if not isinstance(decisions, list) or not decisions:
        raise MiraklError(400, "order_lines is required", "ORDER_LINES_REQUIRED")
    if order["order_state"] != "WAITING_ACCEPTANCE":
        message = (
            f"Order {order_id} is in state {order['order_state']}: only orders in "
            "WAITING_ACCEPTANCE can be accepted or refused"
        )
        raise MiraklError(400, message, "ORDER_NOT_WAITING_ACCEPTANCE")
    lines = {line["order_line_id"]: line for line in order["order_lines"]}
    chosen = {}
    for decision in decisions:
        line_id = decision.get("id") if isinstance(decision, dict) else None
        accepted = decision.get("accepted") if isinstance(decision, dict) else None
        if line_id not in lines:
            message = f"Order line {line_id} not found in order {order_id}"
            raise MiraklError(400, message, "ORDER_LINE_NOT_FOUND", field="id")
        if not isinstance(accepted, bool):
            message = f"accepted must be true or false for the order line {line_id}"
            raise MiraklError(400, message, "ORDER_LINE_ACCEPTED_INVALID", field="accepted")
        chosen[line_id] = accepted
    missing = sorted(set(lines) - set(chosen))
    if missing:
        message = f"No acceptance decision for the order line(s) {', '.join(missing)}"
        raise MiraklError(400, message, "ORDER_LINE_ACCEPTANCE_DECISION_MISSING")
    if len(set(chosen.values())) > 1 and not fake.operator_allows_partial_acceptance:
        message = "The operator does not allow accepting only part of an order"
        raise MiraklError(400, message, "ORDER_PARTIAL_ACCEPTANCE_DISABLED")
    fake.accept_calls.append((order_id, dict(chosen)))
    fake._decide(order, chosen)
    return empty_reply()


# -- OR23, OR24


def tracking(fake, entry, order_id):
    order = find_order(fake, order_id)
    payload = json_body(entry)
    if order["order_state"] != "SHIPPING":
        message = f"Order {order_id} is in state {order['order_state']}, not SHIPPING"
        raise MiraklError(400, message, "ORDER_NOT_SHIPPING")
    code, name = payload.get("carrier_code"), payload.get("carrier_name")
    tracking = payload.get("tracking_number")
    if not code and not name:
        raise MiraklError(400, "carrier_code or carrier_name is required", "CARRIER_REQUIRED")
    if code and code not in fake.carriers:
        raise MiraklError(400, f"Unknown carrier code {code}", "CARRIER_UNKNOWN")
    if code and not tracking:
        message = "tracking_number is required with a carrier_code"
        raise MiraklError(400, message, "TRACKING_NUMBER_REQUIRED")
    url = payload.get("carrier_url")
    if code:
        name, template = fake.carriers[code]
        url = template.format(tracking=tracking)
    order.update(
        shipping_carrier_code=code,
        shipping_company=name,
        shipping_tracking=tracking,
        shipping_tracking_url=url,
    )
    fake._meta[order_id]["tracked"] = True
    fake._touch(order)
    return empty_reply()


def ship(fake, entry, order_id):
    order = find_order(fake, order_id)
    if order["order_state"] != "SHIPPING":
        message = f"Order {order_id} is in state {order['order_state']}, not SHIPPING"
        raise MiraklError(400, message, "ORDER_NOT_SHIPPING")
    if not fake._meta[order_id]["tracked"]:
        message = f"Order {order_id} has no tracking information (OR23) yet"
        raise MiraklError(400, message, "TRACKING_INFORMATION_MISSING")
    fake._set_state(order, "SHIPPED")
    return empty_reply()


# -- OR28, OR29


def refund(fake, entry):
    payload = json_body(entry)
    requests_ = payload.get("refunds")
    if not isinstance(requests_, list) or not requests_:
        raise MiraklError(400, "refunds is required", "REFUNDS_REQUIRED")
    done = fake._apply_refunds(requests_)
    return json_reply(
        200,
        {"refunds": [{"order_line_id": line, "refund_id": rid} for line, rid in done]},
    )


def cancel(fake, entry, order_id):
    order = find_order(fake, order_id)
    if order["order_state"] not in CANCELABLE:
        message = f"Order {order_id} is in state {order['order_state']}: it can't be canceled"
        raise MiraklError(400, message, "ORDER_NOT_CANCELABLE")
    fake._cancel_order(order, "40")
    return empty_reply()


# -- OR30


def cancel_lines(fake, entry):
    payload = json_body(entry)
    requests_ = payload.get("cancelations")
    if not isinstance(requests_, list) or not requests_:
        raise MiraklError(400, "cancelations is required", "CANCELATIONS_REQUIRED")
    done = fake._apply_cancelations(requests_)
    return json_reply(
        200,
        {"cancelations": [{"order_line_id": line, "id": cid} for line, cid in done]},
    )


# -- STO01-03


def stock_import(fake, entry):
    content_type = entry.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise MiraklError(400, "The file must be sent as multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.message_from_bytes(head + entry.body, policy=email.policy.HTTP)
    parts = {
        part.get_param("name", header="content-disposition"): part
        for part in (message.iter_parts() if message.is_multipart() else ())
    }
    if "file" not in parts:
        raise MiraklError(400, "The 'file' part is required")
    data = parts["file"].get_payload(decode=True) or b""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MiraklError(400, "The file must be UTF-8") from None
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [name.strip() for name in rows[0]] if rows else []
    if "offer-sku" not in header or "quantity" not in header:
        raise MiraklError(400, "The file needs the columns offer-sku and quantity")
    import_id = next(fake._import_ids)
    record = {
        "import_id": import_id,
        "date_created": iso(fake.now),
        "header": header,
        "rows": [],
        "errors": [],
    }
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, (cell.strip() for cell in row), strict=False))
        error = stock_row(fake, values)
        if error:
            record["errors"].append({"line": number, "row": row, "message": error})
        else:
            record["rows"].append(values)
    record.update(
        import_status="COMPLETE",
        lines_read=len(record["rows"]) + len(record["errors"]),
        lines_in_success=len(record["rows"]),
        lines_in_error=len(record["errors"]),
    )
    fake.stock_imports[import_id] = record
    return json_reply(201, {"import_id": import_id})


def stock_row(fake, values):
    sku, raw = values.get("offer-sku", ""), values.get("quantity", "")
    action = values.get("update-delete", "").lower() or "update"
    warehouse = values.get("warehouse-code") or None
    if not sku:
        return "offer-sku is required"
    if fake.offers and sku not in fake.offers:
        return f"The offer {sku} does not exist"
    if action not in ("update", "delete"):
        return f"update-delete must be update or delete, not {action}"
    if action == "delete":
        fake.stock.pop(sku, None)
        fake.warehouse_stock.pop((sku, warehouse), None)
        return None
    if not raw.isdigit():
        return f"quantity must be a whole number >= 0, not '{raw}'"
    fake.stock[sku] = int(raw)
    fake.warehouse_stock[(sku, warehouse)] = int(raw)
    if sku in fake.offers:
        fake.offers[sku] = int(raw)
    return None


# -- OF21


def list_offers(fake, entry):
    """OF21: the shop's offers (one per SKU here), by SKU, ``max``/``offset`` paginated."""
    size = int_param(entry, "max", fake.default_page, 1)
    if size > fake.max_page:
        raise MiraklError(400, f"Parameter 'max' must not exceed {fake.max_page}")
    offset = int_param(entry, "offset", 0, 0)
    skus = sorted(fake.offers)
    page = [
        {
            "offer_id": 3000 + index,
            "shop_sku": sku,
            "product_sku": f"P-{sku}",
            "quantity": fake.offers[sku],
            "active": True,
            "state_code": "11",
            "currency_iso_code": fake.currency,
        }
        for index, sku in enumerate(skus[offset : offset + size], start=offset)
    ]
    return json_reply(200, {"offers": page, "total_count": len(skus)})


def stock_import_status(fake, entry, import_id):
    record = fake.stock_imports.get(int(import_id))
    if record is None:
        raise MiraklError(404, f"Import {import_id} not found")
    keys = ("import_id", "import_status", "date_created", "lines_read", "lines_in_success")
    answer = {key: record[key] for key in keys}
    answer.update(
        lines_in_error=record["lines_in_error"],
        has_error_report=bool(record["errors"]),
        status=record["import_status"],  # STO02's documented name
        shop_id=fake.account_shop_id,
    )
    return json_reply(200, answer)


def stock_import_errors(fake, entry, import_id):
    record = fake.stock_imports.get(int(import_id))
    if record is None or not record["errors"]:
        raise MiraklError(404, f"No error report for the import {import_id}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([*record["header"], "error-line", "error-message"])
    for error in record["errors"]:
        writer.writerow([*error["row"], error["line"], error["message"]])
    return Reply(200, out.getvalue().encode(), {"Content-Type": "text/csv;charset=UTF-8"})


# (method, path regex, handler, API code)
ROUTES = routes(
    ("GET", r"/api/account", account, "A01"),
    ("GET", r"/api/orders", list_orders, "OR11"),
    ("PUT", r"/api/orders/refund", refund, "OR28"),
    ("PUT", r"/api/orders/cancel", cancel_lines, "OR30"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/accept", accept, "OR21"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/tracking", tracking, "OR23"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/ship", ship, "OR24"),
    ("PUT", r"/api/orders/(?P<order_id>[^/]+)/cancel", cancel, "OR29"),
    ("GET", r"/api/reasons", reasons, "RE01"),
    ("GET", r"/api/offers", list_offers, "OF21"),
    ("POST", r"/api/offers/stock/imports", stock_import, "STO01"),
    ("GET", r"/api/offers/stock/imports/(?P<import_id>\d+)", stock_import_status, "STO02"),
    (
        "GET",
        r"/api/offers/stock/imports/(?P<import_id>\d+)/status",
        stock_import_status,
        "STO02",
    ),
    (
        "GET",
        r"/api/offers/stock/imports/(?P<import_id>\d+)/error_report",
        stock_import_errors,
        "STO03",
    ),
)
