"""A small GraphQL reader (operations, fields, arguments, directives), what an answer selects,
connections and Shopify's search syntax, and the registry of the operations the fake answers."""

import base64
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .common import numeric_id

# -- Reading a document: operations, fields, arguments, directives ---------------------------


class GraphQLError(Exception):
    """A top-level GraphQL error: the answer has ``errors`` and no ``data``."""

    def __init__(self, message, code="BAD_REQUEST"):
        super().__init__(message)
        self.message = message
        self.code = code

    def as_json(self):
        return {"message": self.message, "extensions": {"code": self.code}}


@dataclass
class Variable:
    name: str


@dataclass
class Field:
    name: str
    alias: str
    args: dict
    directives: dict
    selections: list | None

    def child(self, name):
        return next((sub for sub in self.selections or () if sub.name == name), None)


@dataclass
class Operation:
    kind: str
    name: str | None
    variable_types: dict
    selections: list


_IGNORED_RE = re.compile(r"(?:[\s,\ufeff]+|#[^\n]*)+")
_TOKEN_RE = re.compile(
    r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\.\.\.|[{}()\[\]:@$!=]'
    r"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_]\w*"
)
_NAME_RE = re.compile(r"[A-Za-z_]\w*")
_LITERALS = {"true": True, "false": False, "null": None}


class _Parser:
    """Recursive descent over the executable subset we send: no fragments."""

    def __init__(self, text):
        self.tokens, pos = [], 0
        while pos < len(text):
            if ignored := _IGNORED_RE.match(text, pos):
                pos = ignored.end()
            elif token := _TOKEN_RE.match(text, pos):
                self.tokens.append(token.group())
                pos = token.end()
            else:
                raise GraphQLError(f"Parse error on {text[pos : pos + 12]!r}", "syntaxError")
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            wanted = repr(expected) if expected else "more input"
            raise GraphQLError(f"Parse error: expected {wanted}, got {token!r}", "syntaxError")
        self.pos += 1
        return token

    def name(self):
        token = self.take()
        if not _NAME_RE.fullmatch(token):
            raise GraphQLError(f"Parse error: expected a name, got {token!r}", "syntaxError")
        return token

    def operations(self):
        found = []
        while self.peek() is not None:
            if self.peek() == "{":
                found.append(Operation("query", None, {}, self.selection_set()))
            elif self.peek() in ("query", "mutation", "subscription"):
                kind = self.take()
                name = self.name() if self.peek() not in ("(", "{", "@") else None
                types = self.variable_definitions() if self.peek() == "(" else {}
                self.directives()
                found.append(Operation(kind, name, types, self.selection_set()))
            else:
                raise GraphQLError(
                    f"Unsupported definition {self.peek()!r}: the fake reads operations only",
                    "syntaxError",
                )
        return found

    def variable_definitions(self):
        types = {}
        self.take("(")
        while self.peek() != ")":
            self.take("$")
            name = self.name()
            self.take(":")
            types[name] = self.type_ref()
            if self.peek() == "=":
                self.take()
                self.value()
            self.directives()
        self.take(")")
        return types

    def type_ref(self):
        if self.peek() == "[":
            self.take()
            ref = f"[{self.type_ref()}]"
            self.take("]")
        else:
            ref = self.name()
        if self.peek() == "!":
            ref += self.take()
        return ref

    def selection_set(self):
        self.take("{")
        fields = []
        while self.peek() != "}":
            if self.peek() == "...":
                raise GraphQLError("Fragments are not supported by the fake Shopify", "syntaxError")
            fields.append(self.field())
        self.take("}")
        return fields

    def field(self):
        alias = name = self.name()
        if self.peek() == ":":
            self.take()
            name = self.name()
        args = self.arguments() if self.peek() == "(" else {}
        directives = self.directives()
        selections = self.selection_set() if self.peek() == "{" else None
        return Field(name, alias, args, directives, selections)

    def arguments(self):
        args = {}
        self.take("(")
        while self.peek() != ")":
            key = self.name()
            self.take(":")
            args[key] = self.value()
        self.take(")")
        return args

    def directives(self):
        found = {}
        while self.peek() == "@":
            self.take()
            name = self.name()
            found[name] = self.arguments() if self.peek() == "(" else {}
        return found

    def value(self):
        token = self.take()
        if token == "$":
            return Variable(self.name())
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            fields = {}
            while self.peek() != "}":
                key = self.name()
                self.take(":")
                fields[key] = self.value()
            self.take("}")
            return fields
        if token.startswith('"""'):
            return token[3:-3]
        if token.startswith('"'):
            return json.loads(token)
        if token in _LITERALS:
            return _LITERALS[token]
        if token[0] in "-0123456789":
            return float(token) if any(c in token for c in ".eE") else int(token)
        if _NAME_RE.fullmatch(token):
            return token  # an enum value
        raise GraphQLError(f"Parse error: unexpected {token!r}", "syntaxError")


def parse_operation(text, operation_name=None):
    operations = _Parser(text).operations()
    if operation_name:
        for operation in operations:
            if operation.name == operation_name:
                return operation
        raise GraphQLError(f"No operation named {operation_name!r}")
    if len(operations) != 1:
        raise GraphQLError("The document must hold exactly one operation (or give operationName)")
    return operations[0]


def resolve(value, variables):
    """Replace variables in an argument value by their values."""
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, variables) for key, item in value.items()}
    return value


def project(value, selections, path):
    """Keep what the query selects; a field the fake doesn't model is a GraphQL error."""
    if selections is None or value is None:
        return value
    if isinstance(value, list):
        return [project(item, selections, path) for item in value]
    out = {}
    for sub in selections:
        where = f"{path}.{sub.alias}"
        if sub.name in value:
            raw = value[sub.name]
        elif sub.name == "edges" and "nodes" in value:
            raw = [{"cursor": cursor([numeric_id(n)]), "node": n} for n in value["nodes"]]
        elif sub.name == "pageInfo" and "nodes" in value:
            raw = page_info([cursor([numeric_id(n)]) for n in value["nodes"]], False, False)
        elif sub.name == "__typename":
            raw = value["id"].split("/")[3] if "id" in value else None
        else:
            raise GraphQLError(f"Field {sub.name!r} is not modelled by the fake (at {where})")
        out[sub.alias] = project(raw, sub.selections, where)
    return out


def connection_selection(field_):
    """The node selections of a connection field (``edges { node }`` or ``nodes``)."""
    edges = field_.child("edges")
    node = edges.child("node") if edges else None
    if node:
        return node.selections
    nodes = field_.child("nodes")
    return nodes.selections if nodes else None


def bulk_lines(node, selections, parent_id=None):
    """A node as bulk JSONL lines: itself, then its nested connections' nodes."""
    line, children = {}, []
    for sub in selections:
        inner = connection_selection(sub) if sub.selections else None
        value = node.get(sub.name)
        if inner is not None and isinstance(value, dict) and "nodes" in value:
            children.append((value["nodes"], inner))
        else:
            line.update(project(node, [sub], "bulk"))
    if parent_id:
        line["__parentId"] = parent_id
    yield line
    for nodes, inner in children:
        for child in nodes:
            yield from bulk_lines(child, inner, node["id"])


# -- Pagination and search --------------------------------------------------------------


def cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(value):
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, TypeError, AttributeError):
        key = None
    if not isinstance(key, list):
        raise GraphQLError(f"Invalid cursor {value!r}")
    return key


def page_info(cursors, has_next, has_previous):
    return {
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else None,
    }


def connection_cost(count):
    """Roughly Shopify's: 2 points per connection plus one per ten nodes."""
    return 2 + math.ceil(count / 10) if isinstance(count, int) and count > 0 else 2


_TERM_RE = re.compile(r"(?P<field>\w+):(?P<op>>=|<=|>|<)?(?P<value>'[^']*'|\"[^\"]*\"|\S+)")
TIME_TESTS = {
    ":": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


def search_terms(query):
    """Shopify search syntax, the part we use: ``field:value``, ``field:>='value'``."""
    terms = []
    for match in _TERM_RE.finditer(query or ""):
        value = match["value"]
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        terms.append((match["field"], match["op"] or ":", value))
    return terms


# -- Operations, by name (resolvers in queries.py and mutations.py) -------------------------


@dataclass
class GraphQLCall:
    """What an operation resolver gets: the root field and its resolved arguments."""

    operation: Operation
    root: Field
    args: dict
    variables: dict
    search: list = field(default_factory=list)  # extensions.search warnings


@dataclass(frozen=True)
class OperationSpec:
    resolve: Callable  # (fake, call) → (root field value, actual cost)
    cost: Callable  # root arguments → requested cost


OPERATIONS: dict[str, OperationSpec] = {}


def operation(name, cost):
    """Register the resolver of the operation ``name``; ``cost``: points or args → points."""

    def register(func):
        OPERATIONS[name] = OperationSpec(func, cost if callable(cost) else lambda args: cost)
        return func

    return register


def page_cost(args):
    """The requested cost of a connection page: by its ``first``."""
    return connection_cost(args.get("first"))
