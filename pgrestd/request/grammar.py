"""PostgREST's query-string grammar: select, filters, logic trees, order, limit/offset, columns, on_conflict.

Two parsers read the same grammar (PostgREST's ApiRequest/QueryParams.hs):

* a hand-written recursive-descent parser, fast and strict, that handles the
  input people actually send and gives up (``_Fail``) on anything unusual;
* a faithful transcription of the Parsec grammar onto a small emulation of
  Parsec's semantics (consumed/empty replies, ``try``, merged error hints), run
  only when the fast parser gives up.  It decides the unusual cases exactly as
  PostgREST does and produces PostgREST's error messages byte for byte.

The fast parser may only ever succeed where the reference parser succeeds, with
the same result; ``tests/unit/request/test_grammar_properties.py`` checks that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any, NoReturn
from urllib.parse import quote_from_bytes, unquote_to_bytes

from ..errors import QueryParamError
from .model import (
    AggregateFunction,
    Compare,
    EmbedPath,
    Field,
    Filter,
    FullTextSearch,
    In,
    Is,
    IsDistinct,
    IsValue,
    JoinType,
    JsonArrow,
    JsonIndex,
    JsonKey,
    JsonOperation,
    JsonPath,
    LimitOffset,
    LogicNode,
    LogicOperator,
    LogicTree,
    Operation,
    OrderDirection,
    OrderNulls,
    OrderTerm,
    Quantifier,
    QueryParams,
    SelectEmbed,
    SelectField,
    SelectItem,
)
from .operators import OPERATORS, Operator, OperatorKind

__all__ = [
    "MAX_DEPTH",
    "url_decode",
    "url_encode",
    "parse_columns",
    "parse_filter",
    "parse_logic",
    "parse_order",
    "parse_query",
    "parse_select",
]

# Embeds inside embeds, and logic trees inside logic trees, nest at most this
# deep.  PostgREST has no limit; Python's stack has one, and the reference
# parser spends about a dozen frames per level.
MAX_DEPTH = 32

# Haskell's isSpace, which Data.Text.strip uses: Latin-1 blanks and category Zs.
_HS_SPACE = "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

_STAR = Field("*")

# Parameters PostgREST reads whole (QueryParams.parse: `reserved`).
_RESERVED = frozenset(("select", "columns", "on_conflict"))


# ==============================================================================
# The query string: http-types' parseQueryReplacePlus, then UTF-8
# ==============================================================================

_SEPARATORS = re.compile(b"[&;]")


def _url_decode(raw: bytes) -> bytes:
    # http-types urlDecode: '+' is a space, %XX with two hex digits is a byte,
    # any other '%' stays as it is.
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    return raw


def _split_query(query: str | bytes) -> list[tuple[bytes, bytes | None]]:
    """The raw ``(key, value)`` pairs; a parameter without ``=`` has no value.

    A str is taken as WSGI delivers QUERY_STRING (PEP 3333: bytes decoded as
    Latin-1); text that Latin-1 cannot hold is encoded as UTF-8.
    """
    if isinstance(query, str):
        try:
            raw = query.encode("latin-1")
        except UnicodeEncodeError:
            raw = query.encode("utf-8")
    else:
        raw = query
    if not raw:
        return []
    parts = _SEPARATORS.split(raw)
    if not parts[-1]:
        parts.pop()  # http-types stops at a trailing separator but keeps empty items elsewhere
    pairs: list[tuple[bytes, bytes | None]] = []
    for part in parts:
        key, eq, value = part.partition(b"=")
        pairs.append((_url_decode(key), _url_decode(value) if eq else None))
    return pairs


def _utf8(raw: bytes, index: int, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # PostgREST's T.decodeUtf8 throws here and the request dies with a 500;
        # a client error says the same thing more usefully.
        raise QueryParamError(
            "Invalid UTF-8 in the query string",
            details=f"the {what} of parameter {index + 1} is not valid UTF-8 once percent-decoded",
        ) from None


_URL_SAFE = re.compile(rb"[A-Za-z0-9_.~-]*")


def _url_encode(raw: bytes) -> str:
    if _URL_SAFE.fullmatch(raw):
        return raw.decode("ascii")
    return quote_from_bytes(raw, safe="")


# The decoding and encoding rules the plan cache shares (it swaps values
# inside still-encoded query strings).
url_decode = _url_decode
url_encode = _url_encode


def _canonical(pairs: list[tuple[bytes, bytes | None]]) -> str:
    """``qsCanonical``: parameters sorted by key, repeated keys joined with commas.

    Network.HTTP.Base.urlEncodeVars over a stable sort, percent-encoding all
    but ``A-Za-z0-9-_.~``.  PostgREST feeds it bytes as Latin-1 characters, so
    non-ASCII comes out encoded twice; here each UTF-8 byte is encoded once.
    """
    out: list[str] = []
    previous: bytes | None = None
    for key, value in sorted(pairs, key=itemgetter(0)):
        encoded = _url_encode(value) if value else ""
        if out and key == previous:
            out[-1] += "," + encoded
        else:
            out.append(_url_encode(key) + "=" + encoded)
            previous = key
    return "&".join(out)


# ==============================================================================
# The fast parser
# ==============================================================================


class _Fail(Exception):
    """The fast parser gives up; the reference parser decides."""


_IDENT_ASCII = re.compile(r"[A-Za-z0-9_ $]*")  # pIdentifierChar below U+0080
_JSON_KEY_CHARS = re.compile(r"[^(\-:.,>)]*")  # pJsonKeyIdentifier: noneOf "(-:.,>)"
_JSON_INDEX = re.compile(r"-?[0-9]+")
_OP_WORD = re.compile(r"[a-z]*")
_UNTIL_COMMA_PAREN = re.compile(r"[^,)]*")
_AGGREGATE = re.compile(r"\.(sum|avg|count|max|min)\(\)")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_$]+")

_OPS: dict[str, Operator] = {op.key: op for op in OPERATORS}
_NOT_COMPARE = (OperatorKind.IN, OperatorKind.IS, OperatorKind.IS_DISTINCT)
_IS_WORDS = tuple((value.value, value) for value in IsValue)  # null, not_null, true, false, unknown
_DIRECTIONS = ((".asc", OrderDirection.ASC), (".desc", OrderDirection.DESC))
_NULLS = ((".nullsfirst", OrderNulls.FIRST), (".nullslast", OrderNulls.LAST))


def _ws(s: str, i: int, n: int) -> int:
    while i < n and (s[i] == " " or s[i] == "\t"):
        i += 1
    return i


def _scan_ident(s: str, i: int, n: int) -> int:
    # pIdentifierChar: letter (Haskell isAlpha, i.e. Unicode letters), ASCII digit, '_', ' ', '$'
    j = _IDENT_ASCII.match(s, i).end()  # type: ignore[union-attr]
    while j < n and s[j] > "\x7f" and s[j].isalpha():
        j = _IDENT_ASCII.match(s, j + 1).end()  # type: ignore[union-attr]
    return j


def _scan_json_key(s: str, i: int, n: int) -> int:
    return _JSON_KEY_CHARS.match(s, i).end()  # type: ignore[union-attr]


def _f_quoted(s: str, i: int, n: int) -> tuple[str, int]:
    # pQuotedValue: "...", a backslash takes the next character literally
    j = i + 1
    chunks: list[str] = []
    while True:
        quote = s.find('"', j)
        if quote < 0:
            raise _Fail
        backslash = s.find("\\", j, quote)
        if backslash < 0:
            chunks.append(s[j:quote])
            return "".join(chunks), quote + 1
        chunks.append(s[j:backslash])
        if backslash + 1 >= n:
            raise _Fail
        chunks.append(s[backslash + 1])
        j = backslash + 2


def _f_dashed(s: str, i: int, n: int, scan: Callable[[str, int, int], int], strip: str) -> tuple[str, int]:
    # sepByDash: parts joined by a '-' that does not start "->"; each part stripped
    j = scan(s, i, n)
    if j == i:
        raise _Fail
    text = s[i:j].strip(strip)
    if j < n and s[j] == "-" and (j + 1 == n or s[j + 1] != ">"):
        parts = [text]
        while j < n and s[j] == "-" and (j + 1 == n or s[j + 1] != ">"):
            k = scan(s, j + 1, n)
            if k == j + 1:
                raise _Fail
            parts.append(s[j + 1 : k].strip(strip))
            j = k
        text = "-".join(parts)
    return text, j


def _f_field_name(s: str, i: int, n: int) -> tuple[str, int]:
    if i < n and s[i] == '"':
        return _f_quoted(s, i, n)
    return _f_dashed(s, i, n, _scan_ident, " ")


def _f_json_path(s: str, i: int, n: int) -> tuple[JsonPath, int]:
    if not s.startswith("->", i):
        return (), i
    ops: list[JsonOperation] = []
    while s.startswith("->", i):
        if s.startswith("->>", i):
            arrow, i = JsonArrow.DOUBLE_ARROW, i + 3
        else:
            arrow, i = JsonArrow.ARROW, i + 2
        # pJIdx first: an integer followed by "->", "::", ".", "," or the end; else a key
        match = _JSON_INDEX.match(s, i)
        if match and (match.end() == n or s.startswith(("->", "::", ".", ","), match.end())):
            digits = match.group()
            operand: JsonKey | JsonIndex = JsonIndex(digits if digits[0] == "-" else "+" + digits)
            i = match.end()
        elif i < n and s[i] == '"':
            key, i = _f_quoted(s, i, n)
            operand = JsonKey(key)
        else:
            key, i = _f_dashed(s, i, n, _scan_json_key, _HS_SPACE)
            operand = JsonKey(key)
        ops.append(JsonOperation(arrow, operand))
    return tuple(ops), i


def _f_field(s: str, i: int, n: int) -> tuple[Field, int]:
    # pField = lexeme (name, json path)
    i = _ws(s, i, n)
    name, i = _f_field_name(s, i, n)
    path, i = _f_json_path(s, i, n)
    return Field(name, path), _ws(s, i, n)


def _f_cast(s: str, i: int, n: int) -> tuple[str | None, int]:
    # optionMaybe (string "::" *> pIdentifier); a lone ':' is a consumed failure
    if i < n and s[i] == ":":
        if not s.startswith("::", i):
            raise _Fail
        j = _scan_ident(s, i + 2, n)
        if j == i + 2:
            raise _Fail
        return s[i + 2 : j].strip(" "), j
    return None, i


# -- select ---------------------------------------------------------------------


def _f_embed_params(s: str, i: int, n: int) -> tuple[str | None, JoinType | None, int]:
    # up to two of !left, !inner, !hint; the first hint and the first join type win
    hint: str | None = None
    join: JoinType | None = None
    for _ in range(2):
        if i >= n or s[i] != "!":
            break
        if s.startswith("left", i + 1):
            param: str | JoinType = JoinType.LEFT
            i += 5
        elif s.startswith("inner", i + 1):
            param = JoinType.INNER
            i += 6
        else:
            param, i = _f_field_name(s, i + 1, n)
        if isinstance(param, JoinType):
            join = param if join is None else join
        elif hint is None:
            hint = param
    return hint, join, i


def _f_children(s: str, i: int, n: int, depth: int) -> tuple[tuple[SelectItem, ...], int]:
    # between (char '(') (char ')') pFieldForest, with s[i] == '('
    if depth >= MAX_DEPTH:
        raise _Fail
    i += 1
    if i < n and s[i] == ")":
        return (), i + 1
    items, i = _f_forest(s, i, n, depth + 1)
    if i < n and s[i] == ")":
        return items, i + 1
    raise _Fail


def _f_forest(s: str, i: int, n: int, depth: int) -> tuple[tuple[SelectItem, ...], int]:
    items: list[SelectItem] = []
    while True:
        item, i = _f_tree(s, i, n, depth)
        items.append(item)
        j = _ws(s, i, n)
        if j < n and s[j] == ",":
            i = j + 1
            continue
        if j != i:
            raise _Fail  # blanks not followed by ',': the separator failed after consuming
        return tuple(items), i


def _f_tree(s: str, i: int, n: int, depth: int) -> tuple[SelectItem, int]:
    i = _ws(s, i, n)
    if s.startswith("...", i):
        name, j = _f_field_name(s, i + 3, n)
        hint, join, j = _f_embed_params(s, j, n)
        if j < n and s[j] == "(":
            children, j = _f_children(s, j, n, depth)
            return SelectEmbed(name, children, None, hint, join, True), j
        raise _Fail
    if i < n and s[i] == "*":
        if i + 1 == n or s[i + 1] in ",)":
            return SelectField(_STAR), i + 1
        raise _Fail
    alias: str | None = None
    j = i
    try:
        name, k = _f_field_name(s, i, n)
        if k < n and s[k] == ":" and (k + 1 == n or s[k + 1] != ":"):
            alias, j = name, k + 1
    except _Fail:
        pass
    # pRelationSelect: name, embed params, then a '(' must follow
    try:
        name, k = _f_field_name(s, j, n)
        if name != "count":
            hint, join, k = _f_embed_params(s, k, n)
            if k < n and s[k] == "(":
                children, k = _f_children(s, k, n, depth)
                return SelectEmbed(name, children, alias, hint, join, False), k
    except _Fail:
        pass
    # pFieldSelect: count() or a field with cast, aggregate and aggregate cast
    if s.startswith("count()", j):
        agg_cast, k = _f_cast(s, j + 7, n)
        if k == n or s[k] in ",)":
            return SelectField(_STAR, alias, None, AggregateFunction.COUNT, agg_cast), k
        raise _Fail
    field, k = _f_field(s, j, n)
    cast, k = _f_cast(s, k, n)
    aggregate: AggregateFunction | None = None
    if k < n and s[k] == ".":
        match = _AGGREGATE.match(s, k)
        if match is None:
            raise _Fail
        aggregate = AggregateFunction(match.group(1))
        k = match.end()
    agg_cast, k = _f_cast(s, k, n)
    if k == n or s[k] in ",)":
        return SelectField(field, alias, cast, aggregate, agg_cast), k
    raise _Fail


def _fast_select(s: str) -> tuple[SelectItem, ...]:
    n = len(s)
    if n == 0:
        return ()
    items, i = _f_forest(s, 0, n, 0)
    if i != n:
        raise _Fail
    return items


# -- filters --------------------------------------------------------------------


def _f_logic_value(s: str, i: int, n: int) -> tuple[str, int]:
    # pLogicSingleVal: a quoted value ending at ',' or ')', a {pg,array}, or raw text up to ',' or ')'
    if i < n:
        if s[i] == '"':
            try:
                value, j = _f_quoted(s, i, n)
                if j == n or s[j] in ",)":
                    return value, j
            except _Fail:
                pass
        elif s[i] == "{":
            close = s.find("}", i + 1)
            if close >= 0 and s.find("{", i + 1, close) < 0:
                return s[i : close + 1], close + 1
    j = _UNTIL_COMMA_PAREN.match(s, i).end()  # type: ignore[union-attr]
    return s[i:j], j


def _f_value(s: str, i: int, n: int, logic: bool) -> tuple[str, int]:
    if logic:
        return _f_logic_value(s, i, n)
    return s[i:], n


def _f_list(s: str, i: int, n: int) -> tuple[tuple[str, ...], int]:
    # pListVal: lexeme '(' , elements separated by ',', lexeme ')'
    i = _ws(s, i, n)
    if i >= n or s[i] != "(":
        raise _Fail
    i = _ws(s, i + 1, n)
    items: list[str] = []
    while True:
        item: str | None = None
        if i < n and s[i] == '"':
            try:
                item, j = _f_quoted(s, i, n)
                if j != n and s[j] not in ",)":
                    item = None
            except _Fail:
                item = None
        if item is None:
            j = _UNTIL_COMMA_PAREN.match(s, i).end()  # type: ignore[union-attr]
            item = s[i:j]
        items.append(item)
        if j < n and s[j] == ",":
            i = j + 1
            continue
        break
    if j < n and s[j] == ")":
        return tuple(items), _ws(s, j + 1, n)
    raise _Fail


def _f_is(s: str, i: int, n: int) -> tuple[IsValue, int]:
    # each letter matches itself or its upper case (ciString)
    for word, value in _IS_WORDS:
        end = i + len(word)
        if end <= n and all(a == b or a == b.upper() for a, b in zip(s[i:end], word)):
            return value, end
    raise _Fail


def _f_op_expr(s: str, i: int, n: int, logic: bool) -> tuple[bool, Operation, int]:
    negated = s.startswith("not.", i)
    if negated:
        i += 4
    if s.startswith("in.", i):
        values, j = _f_list(s, i + 3, n)
        return negated, In(values), j
    if s.startswith("is.", i):
        is_value, j = _f_is(s, i + 3, n)
        return negated, Is(is_value), j
    if s.startswith("isdistinct.", i):
        value, j = _f_value(s, i + 11, n, logic)
        return negated, IsDistinct(value), j
    match = _OP_WORD.match(s, i)
    j = match.end()  # type: ignore[union-attr]
    op = _OPS.get(match.group())  # type: ignore[union-attr]
    if op is None or op.kind in _NOT_COMPARE:
        raise _Fail
    if op.kind is OperatorKind.FTS:
        language: str | None = None
        if j < n and s[j] == "(":
            k = _scan_ident(s, j + 1, n)
            if k == j + 1 or k >= n or s[k] != ")":
                raise _Fail
            language, j = s[j + 1 : k].strip(" "), k + 1
        if j >= n or s[j] != ".":
            raise _Fail
        value, j = _f_value(s, j + 1, n, logic)
        return negated, FullTextSearch(op.key, value, language), j
    quantifier: Quantifier | None = None
    if op.quantifiable and j < n and s[j] == "(":
        if s.startswith("(any)", j):
            quantifier = Quantifier.ANY
        elif s.startswith("(all)", j):
            quantifier = Quantifier.ALL
        else:
            raise _Fail
        j += 5
    if j >= n or s[j] != ".":
        raise _Fail
    value, j = _f_value(s, j + 1, n, logic)
    return negated, Compare(op.key, value, quantifier), j


def _fast_filter_value(s: str) -> tuple[bool, Operation]:
    n = len(s)
    negated, operation, j = _f_op_expr(s, 0, n, False)
    if j != n:
        raise _Fail
    return negated, operation


def _f_logic_node(s: str, i: int, n: int, depth: int) -> tuple[LogicNode, int]:
    # Stmnt <$> try pLogicFilter <|> Expr <$> pNot <*> pLogicOp <*> children
    try:
        field, j = _f_field(s, i, n)
        if j < n and s[j] == ".":
            negated, operation, j = _f_op_expr(s, j + 1, n, True)
            return Filter(field, operation, negated), j
    except _Fail:
        pass
    negated = s.startswith("not.", i)
    j = i + 4 if negated else i
    if s.startswith("and", j):
        operator, j = LogicOperator.AND, j + 3
    elif s.startswith("or", j):
        operator, j = LogicOperator.OR, j + 2
    else:
        raise _Fail
    j = _ws(s, j, n)
    if j >= n or s[j] != "(" or depth >= MAX_DEPTH:
        raise _Fail
    j = _ws(s, j + 1, n)
    children: list[LogicNode] = []
    while True:
        child, j = _f_logic_node(s, j, n, depth + 1)
        children.append(child)
        k = _ws(s, j, n)
        if k < n and s[k] == ",":
            j = _ws(s, k + 1, n)
            continue
        if k != j:
            raise _Fail  # blanks not followed by ',': the separator failed after consuming
        break
    if j < n and s[j] == ")":
        return LogicTree(operator, tuple(children), negated), _ws(s, j + 1, n)
    raise _Fail


def _fast_logic(s: str) -> LogicNode:
    n = len(s)
    node, i = _f_logic_node(s, 0, n, 0)
    if i != n:
        raise _Fail
    return node


# -- order, paths, columns ------------------------------------------------------


def _f_order_modifiers(s: str, i: int, n: int) -> tuple[OrderDirection | None, OrderNulls | None, int]:
    direction: OrderDirection | None = None
    nulls: OrderNulls | None = None
    for text, direction_value in _DIRECTIONS:
        if s.startswith(text, i):
            direction, i = direction_value, i + len(text)
            break
    for text, nulls_value in _NULLS:
        if s.startswith(text, i):
            nulls, i = nulls_value, i + len(text)
            break
    if i == n or s[i] == ",":
        return direction, nulls, i
    raise _Fail


def _fast_order(s: str) -> tuple[OrderTerm, ...]:
    n = len(s)
    terms: list[OrderTerm] = []
    i = 0
    while True:
        i = _ws(s, i, n)
        term: OrderTerm | None = None
        try:  # try pOrderRelationTerm: relation(field)
            relation, j = _f_field_name(s, i, n)
            if j < n and s[j] == "(":
                field, j = _f_field(s, j + 1, n)
                if j < n and s[j] == ")":
                    direction, nulls, j = _f_order_modifiers(s, j + 1, n)
                    term = OrderTerm(field, direction, nulls, relation)
        except _Fail:
            pass
        if term is None:
            field, j = _f_field(s, i, n)
            direction, nulls, j = _f_order_modifiers(s, j, n)
            term = OrderTerm(field, direction, nulls)
        terms.append(term)
        if j == n:
            return tuple(terms)
        i = j + 1  # s[j] == ','


def _f_names(s: str, n: int) -> tuple[list[str], int]:
    # pFieldName `sepBy1` pDelimiter
    names: list[str] = []
    i = 0
    while True:
        name, i = _f_field_name(s, i, n)
        names.append(name)
        if i < n and s[i] == ".":
            i += 1
            continue
        return names, i


def _fast_tree_path(s: str) -> tuple[EmbedPath, Field]:
    if _PLAIN_NAME.fullmatch(s):
        return (), Field(s)
    n = len(s)
    names, i = _f_names(s, n)
    path, i = _f_json_path(s, i, n)
    if i != n:
        raise _Fail
    return tuple(names[:-1]), Field(names[-1], path)


def _logic_path_value(names: list[str]) -> tuple[EmbedPath, str]:
    # pLogicPath: "not" anywhere before the operator negates it
    op = names[-1]
    return tuple(name for name in names[:-1] if name != "not"), ("not." + op if "not" in names else op)


def _fast_logic_path(s: str) -> tuple[EmbedPath, str]:
    n = len(s)
    names, i = _f_names(s, n)
    if i != n:
        raise _Fail
    return _logic_path_value(names)


def _fast_columns(s: str) -> list[str]:
    n = len(s)
    names: list[str] = []
    i = 0
    while True:
        name, i = _f_field_name(s, i, n)
        names.append(name)
        j = _ws(s, i, n)
        if j < n and s[j] == ",":
            i = _ws(s, j + 1, n)
            continue
        if j != n or j != i:
            raise _Fail
        return names


# ==============================================================================
# The reference parser: PostgREST's Parsec grammar on an emulation of Parsec
# ==============================================================================
#
# A parser is ``p(s, i, depth) -> (consumed, ok, value, next_i, error)``; an
# error is ``(position, messages)`` and a message ``(kind, text)``.  The text of
# an "unexpected" message is the raw character ("" at the end of input), shown
# Haskell-style only when an error is reported.  The
# combinators follow parsec-3.1's Text.Parsec.Prim and Combinator: an
# alternative runs only when the previous one failed without consuming, `try`
# turns a consumed failure into an empty one, and errors at the same position
# merge (the farthest wins) so that "expecting" lists everything that could
# have continued the input.  Positions are string indexes, turned into Parsec's
# line and column only for the message.

_Reply = tuple[bool, bool, Any, int, tuple[int, tuple[tuple[int, str], ...]]]
_Parser = Callable[[str, int, int], _Reply]

_SYS_UNEXPECT, _UNEXPECT, _EXPECT, _MESSAGE = 0, 1, 2, 3

# Haskell's escapes for the control characters (asciiTab, with \a \b \t \n \v \f \r)
_ASCII_NAMES = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "a", "b", "t", "n", "v", "f", "r", "SO", "SI"),
    *(
        "DLE",
        "DC1",
        "DC2",
        "DC3",
        "DC4",
        "NAK",
        "SYN",
        "ETB",
        "CAN",
        "EM",
        "SUB",
        "ESC",
        "FS",
        "GS",
        "RS",
        "US",
    ),
)


class _TooDeep(Exception):
    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def _show_lit(c: str, quote: str) -> str:
    # Haskell's showLitChar
    code = ord(c)
    if c == "\\":
        return "\\\\"
    if c == quote:
        return "\\" + c
    if code > 127:
        return "\\" + str(code)
    if code == 127:
        return "\\DEL"
    if code < 32:
        return "\\" + _ASCII_NAMES[code]
    return c


def _show_string(text: str) -> str:
    """Haskell's ``show`` of a String, as Parsec shows tokens and expected strings."""
    out = []
    for index, c in enumerate(text):
        lit = _show_lit(c, '"')
        nxt = text[index + 1 : index + 2]
        if (lit[1:].isdigit() and lit[0] == "\\" and nxt.isdigit()) or (lit == "\\SO" and nxt == "H"):
            lit += "\\&"  # protectEsc
        out.append(lit)
    return '"' + "".join(out) + '"'


def _show_char(c: str) -> str:
    """Haskell's ``show`` of a Char, as ``notFollowedBy`` and ``eof`` report it."""
    return "'" + _show_lit(c, "'") + "'"


def _merge(e1: tuple[int, tuple], e2: tuple[int, tuple]) -> tuple[int, tuple]:
    # Text.Parsec.Error.mergeError: prefer errors with messages, then the farthest
    if e1[1] and not e2[1]:
        return e1
    if e2[1] and not e1[1]:
        return e2
    if e1[0] == e2[0]:
        return (e1[0], e1[1] + e2[1])
    return e1 if e1[0] > e2[0] else e2


def _with_expect(error: tuple[int, tuple], label: str) -> tuple[int, tuple]:
    return (error[0], ((_EXPECT, label),) + tuple(m for m in error[1] if m[0] != _EXPECT))


def _satisfy(predicate: Callable[[str], bool]) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        if i < len(s):
            c = s[i]
            if predicate(c):
                return True, True, c, i + 1, (i + 1, ())
            return False, False, None, i, (i, ((_SYS_UNEXPECT, c),))
        return False, False, None, i, (i, ((_SYS_UNEXPECT, ""),))

    return parse


def _label(p: _Parser, label: str) -> _Parser:
    # <?>: replaces the "expecting" of a reply that consumed nothing
    def parse(s: str, i: int, d: int) -> _Reply:
        r = p(s, i, d)
        if r[0] or (r[1] and not r[4][1]):
            return r
        return r[0], r[1], r[2], r[3], _with_expect(r[4], label)

    return parse


def _char(c: str) -> _Parser:
    return _label(_satisfy(c.__eq__), _show_string(c))


def _one_of(chars: str) -> _Parser:
    return _satisfy(lambda c: c in chars)


def _none_of(chars: str) -> _Parser:
    return _satisfy(lambda c: c not in chars)


def _string(token: str) -> _Parser:
    # Text.Parsec.Prim.tokens: a mismatch after the first character has consumed
    expected = (_EXPECT, _show_string(token))

    def parse(s: str, i: int, d: int) -> _Reply:
        if s.startswith(token, i):
            end = i + len(token)
            return True, True, token, end, (end, ())
        n = len(s)
        for k, want in enumerate(token):
            if i + k >= n or s[i + k] != want:
                got = "" if i + k >= n else s[i + k]
                return k > 0, False, None, i, (i, (expected, (_SYS_UNEXPECT, got)))
        raise AssertionError("unreachable")

    return parse


def _pure(value: Any) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        return False, True, value, i, (i, ())

    return parse


def _map(p: _Parser, f: Callable[[Any], Any]) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        c, ok, v, j, e = p(s, i, d)
        return c, ok, (f(v) if ok else None), j, e

    return parse


def _const(p: _Parser, value: Any) -> _Parser:
    return _map(p, lambda _: value)


def _seq(*ps: _Parser, f: Callable[..., Any] = lambda *vs: vs) -> _Parser:
    # >>= chained left to right: a later empty reply merges the earlier hints
    def parse(s: str, i: int, d: int) -> _Reply:
        consumed = False
        error: tuple[int, tuple] = (i, ())
        values = []
        j = i
        for p in ps:
            c, ok, v, j2, e = p(s, j, d)
            if c:
                consumed, error = True, e
            else:
                error = _merge(error, e) if error[1] else e
            if not ok:
                return consumed, False, None, i, error
            values.append(v)
            j = j2
        return consumed, True, f(*values), j, error

    return parse


def _alt(*ps: _Parser) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        error: tuple[int, tuple] | None = None
        for p in ps:
            r = p(s, i, d)
            if r[0]:
                return r
            error = r[4] if error is None else _merge(error, r[4])
            if r[1]:
                return False, True, r[2], r[3], error
        return False, False, None, i, error  # type: ignore[return-value]

    return parse


def _try(p: _Parser) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        r = p(s, i, d)
        if r[0] and not r[1]:
            return False, False, None, i, r[4]
        return r

    return parse


def _many(p: _Parser) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        values: list[Any] = []
        j = i
        while True:
            c, ok, v, j2, e = p(s, j, d)
            if not ok:
                if c:
                    return True, False, None, i, e
                return j > i, True, values, j, e
            if not c:
                raise AssertionError("many: a parser that accepts the empty string")
            values.append(v)
            j = j2

    return parse


def _many1(p: _Parser) -> _Parser:
    return _seq(p, _many(p), f=lambda x, xs: [x, *xs])


def _sep_by1(p: _Parser, sep: _Parser) -> _Parser:
    return _seq(p, _many(_seq(sep, p, f=lambda _, x: x)), f=lambda x, xs: [x, *xs])


def _sep_by(p: _Parser, sep: _Parser) -> _Parser:
    return _alt(_sep_by1(p, sep), _pure([]))


def _option(default: Any, p: _Parser) -> _Parser:
    return _alt(p, _pure(default))


def _optional(p: _Parser) -> _Parser:  # optionMaybe, with None for Nothing
    return _option(None, p)


def _between(open_: _Parser, close: _Parser, p: _Parser) -> _Parser:
    return _seq(open_, p, close, f=lambda _, x, __: x)


def _look_ahead(p: _Parser) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        c, ok, v, _, e = p(s, i, d)
        if ok:
            return False, True, v, i, (i, ())
        return c, False, None, i, e

    return parse


def _not_followed_by(p: _Parser) -> _Parser:
    # try (do { c <- try p; unexpected (show c) } <|> return ())
    def parse(s: str, i: int, d: int) -> _Reply:
        _, ok, v, j, e = p(s, i, d)
        if ok:
            error = (j, ((_UNEXPECT, v),))
            return False, False, None, i, (_merge(e, error) if e[1] else error)
        return False, True, None, i, _merge(e, (i, ()))

    return parse


def _eof(s: str, i: int, d: int) -> _Reply:
    # notFollowedBy anyToken <?> "end of input"; anyToken does not move the position
    if i < len(s):
        return False, False, None, i, (i, ((_EXPECT, "end of input"), (_UNEXPECT, s[i])))
    return False, True, None, i, (i, ((_EXPECT, "end of input"), (_SYS_UNEXPECT, "")))


def _where(p: _Parser, predicate: Callable[[Any], bool]) -> _Parser:
    # p >>= \v -> guard (predicate v) >> return v
    def parse(s: str, i: int, d: int) -> _Reply:
        r = p(s, i, d)
        if not r[1] or predicate(r[2]):
            return r
        unknown = (r[3], ())
        return r[0], False, None, i, (_merge(r[4], unknown) if r[4][1] else unknown)

    return parse


def _lazy(get: Callable[[], _Parser]) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        return get()(s, i, d)

    return parse


def _nested(p: _Parser) -> _Parser:
    def parse(s: str, i: int, d: int) -> _Reply:
        if d >= MAX_DEPTH:
            raise _TooDeep(i)
        return p(s, i, d + 1)

    return parse


def _memo(p: _Parser) -> _Parser:
    """Packrat memo for a rule without nesting: the select grammar retries names at the same spot."""

    @lru_cache(maxsize=1024)
    def at(s: str, i: int) -> _Reply:
        return p(s, i, 0)

    def parse(s: str, i: int, d: int) -> _Reply:
        return at(s, i)

    return parse


def _first(*vs: Any) -> Any:
    return vs[0]


def _second(*vs: Any) -> Any:
    return vs[1]


def _join(chars: list[str]) -> str:
    return "".join(chars)


# -- the grammar, rule by rule as in QueryParams.hs -----------------------------

_r_ws = _map(_many(_one_of(" \t")), _join)


def _lexeme(p: _Parser) -> _Parser:
    return _seq(_r_ws, p, _r_ws, f=_second)


_r_delimiter = _label(_char("."), "delimiter (.)")
_r_letter = _label(_satisfy(str.isalpha), "letter")
_r_digit = _label(_satisfy(lambda c: "0" <= c <= "9"), "digit")
_r_identifier = _map(_many1(_alt(_r_letter, _r_digit, _one_of("_ $"))), lambda cs: "".join(cs).strip(" "))


def _sep_by_dash(p: _Parser) -> _Parser:
    dash = _const(_try(_seq(_char("-"), _not_followed_by(_char(">")))), "-")
    return _map(_sep_by1(p, dash), "-".join)


_r_quoted = _seq(
    _char('"'),
    _many(_alt(_none_of('\\"'), _seq(_char("\\"), _satisfy(lambda c: True), f=_second))),
    _char('"'),
    f=lambda _, cs, __: "".join(cs),
)
_r_field_name = _memo(_label(_alt(_r_quoted, _sep_by_dash(_r_identifier)), "field name (* or [a..z0..9_$])"))
_r_json_key_identifier = _map(_many1(_none_of("(-:.,>)")), lambda cs: "".join(cs).strip(_HS_SPACE))
_r_json_key_name = _label(
    _alt(_r_quoted, _sep_by_dash(_r_json_key_identifier)), "any non reserved character different from: .,>()"
)
_r_json_end = _alt(
    _try(_look_ahead(_string("->"))),
    _try(_look_ahead(_string("::"))),
    _try(_look_ahead(_string("."))),
    _try(_look_ahead(_string(","))),
    _try(_eof),
)
_r_json_index = _seq(
    _option("+", _char("-")),
    _many1(_r_digit),
    _r_json_end,
    f=lambda sign, ds, _: JsonIndex(sign + "".join(ds)),
)
_r_json_operand = _alt(_try(_r_json_index), _try(_map(_r_json_key_name, JsonKey)))
_r_json_arrow = _alt(
    _const(_try(_string("->>")), JsonArrow.DOUBLE_ARROW), _const(_try(_string("->")), JsonArrow.ARROW)
)
_r_json_path = _map(_many(_seq(_r_json_arrow, _r_json_operand, f=JsonOperation)), tuple)
_r_field = _memo(_lexeme(_seq(_r_field_name, _option((), _r_json_path), f=Field)))

# select
_r_alias = _memo(_optional(_try(_seq(_r_field_name, _char(":"), _not_followed_by(_char(":")), f=_first))))
_r_embed_param = _seq(
    _char("!"),
    _alt(
        _try(_const(_string("left"), ("join", JoinType.LEFT))),
        _try(_const(_string("inner"), ("join", JoinType.INNER))),
        _try(_map(_r_field_name, lambda name: ("hint", name))),
    ),
    f=_second,
)


def _embed_params(
    p1: tuple[str, Any] | None, p2: tuple[str, Any] | None
) -> tuple[str | None, JoinType | None]:
    params = [p for p in (p1, p2) if p is not None]
    hint = next((v for k, v in params if k == "hint"), None)
    join = next((v for k, v in params if k == "join"), None)
    return hint, join


_r_embed_params = _seq(_optional(_r_embed_param), _optional(_r_embed_param), f=_embed_params)
_r_paren_ahead = _try(_look_ahead(_string("(")))
_r_spread_head = _lexeme(
    _seq(_string("..."), _r_field_name, _r_embed_params, _r_paren_ahead, f=lambda _, name, ps, __: (name, ps))
)
_r_relation_head = _lexeme(
    _seq(
        _r_alias,
        _where(_r_field_name, lambda name: name != "count"),
        _r_embed_params,
        _r_paren_ahead,
        f=lambda alias, name, ps, _: (alias, name, ps),
    )
)
_r_select_end = _alt(_try(_look_ahead(_string(")"))), _try(_look_ahead(_string(","))), _try(_eof))
_r_cast = _optional(_seq(_string("::"), _r_identifier, f=_second))
_r_aggregation = _alt(
    _const(_string("sum"), AggregateFunction.SUM),
    _const(_string("avg"), AggregateFunction.AVG),
    _const(_string("count"), AggregateFunction.COUNT),
    _const(_try(_string("max")), AggregateFunction.MAX),
    _const(_try(_string("min")), AggregateFunction.MIN),
)
_r_field_select = _lexeme(
    _alt(
        _try(_seq(_string("*"), _r_select_end, f=lambda *_: SelectField(_STAR))),
        _try(
            _seq(
                _r_alias,
                _string("count()"),
                _r_cast,
                _r_select_end,
                f=lambda alias, _, agg_cast, __: SelectField(
                    _STAR, alias, None, AggregateFunction.COUNT, agg_cast
                ),
            )
        ),
        _seq(
            _r_alias,
            _r_field,
            _r_cast,
            _optional(_try(_seq(_char("."), _r_aggregation, _string("()"), f=_second))),
            _r_cast,
            _r_select_end,
            f=lambda alias, field, cast, agg, agg_cast, _: SelectField(field, alias, cast, agg, agg_cast),
        ),
    )
)
_r_children = _nested(_between(_char("("), _char(")"), _lazy(lambda: _r_forest)))
_r_tree = _alt(
    _seq(
        _try(_r_spread_head),
        _r_children,
        f=lambda head, children: SelectEmbed(head[0], tuple(children), None, head[1][0], head[1][1], True),
    ),
    _seq(
        _try(_r_relation_head),
        _r_children,
        f=lambda head, children: SelectEmbed(
            head[1], tuple(children), head[0], head[2][0], head[2][1], False
        ),
    ),
    _r_field_select,
)
_r_forest: _Parser = _map(_sep_by(_r_tree, _lexeme(_char(","))), tuple)

# filters
_r_single_val = _map(_many(_satisfy(lambda c: True)), _join)
_r_quoted_item = _try(_seq(_r_quoted, _not_followed_by(_none_of(",)")), f=_first))
_r_list_element = _alt(_r_quoted_item, _map(_many(_none_of(",)")), _join))
_r_list_val = _seq(
    _lexeme(_char("(")),
    _sep_by1(_r_list_element, _char(",")),
    _lexeme(_char(")")),
    f=lambda _, vs, __: tuple(vs),
)
_r_pg_array = _seq(_string("{"), _many(_none_of("{}")), _string("}"), f=lambda a, b, c: a + "".join(b) + c)
_r_logic_single_val = _alt(_r_quoted_item, _try(_r_pg_array), _map(_many(_none_of(",)")), _join))


def _ci_string(word: str) -> _Parser:
    return _seq(*(_alt(_char(c), _char(c.upper())) for c in word), f=lambda *cs: "".join(cs))


_r_is_val = _label(
    _alt(*(_try(_const(_ci_string(word), value)) for word, value in _IS_WORDS)),
    "isVal: (null, not_null, true, false, unknown)",
)


def _keyword(kind: OperatorKind, quantifiable: bool | None = None) -> _Parser:
    keys = [op.key for op in OPERATORS if op.kind is kind and quantifiable in (None, op.quantifiable)]
    return _alt(*(_try(_string(key)) for key in keys))


def _r_op_expr(value: _Parser) -> _Parser:
    in_ = _seq(_try(_seq(_string("in"), _r_delimiter)), _r_list_val, f=lambda _, vs: In(vs))
    is_ = _seq(_try(_seq(_string("is"), _r_delimiter)), _r_is_val, f=lambda _, v: Is(v))
    is_distinct = _seq(_try(_seq(_string("isdistinct"), _r_delimiter)), value, f=lambda _, v: IsDistinct(v))
    fts = _seq(
        _keyword(OperatorKind.FTS),
        _optional(_try(_between(_char("("), _char(")"), _r_identifier))),
        _r_delimiter,
        value,
        f=lambda op, lang, _, v: FullTextSearch(op, v, lang),
    )
    simple = _seq(
        _label(_keyword(OperatorKind.COMPARE, False), "unknown single value operator"),
        _r_delimiter,
        value,
        f=lambda op, _, v: Compare(op, v),
    )
    quantifier = _alt(_try(_const(_string("any"), Quantifier.ANY)), _const(_string("all"), Quantifier.ALL))
    quant = _seq(
        _label(_keyword(OperatorKind.COMPARE, True), "unknown single value operator"),
        _optional(_try(_between(_char("("), _char(")"), quantifier))),
        _r_delimiter,
        value,
        f=lambda op, q, _, v: Compare(op, v, q),
    )
    operation = _label(
        _alt(in_, is_, is_distinct, _try(fts), _try(simple), _try(quant)), "operator (eq, gt, ...)"
    )
    negation = _alt(_try(_const(_seq(_string("not"), _r_delimiter), True)), _pure(False))
    return _seq(negation, operation, f=lambda negated, op: (negated, op))


_r_filter_value = _r_op_expr(_r_single_val)
_r_filter_value_rpc = _alt(_r_filter_value, _pure(None))  # `<|> pure (NoOpExpr v)` on GET /rpc

# logic trees
_r_logic_filter = _seq(
    _r_field,
    _r_delimiter,
    _r_op_expr(_r_logic_single_val),
    f=lambda field, _, ne: Filter(field, ne[1], ne[0]),
)
_r_not = _label(
    _alt(_try(_const(_seq(_string("not"), _r_delimiter), True)), _pure(False)), "negation operator (not)"
)
_r_logic_op = _label(
    _alt(_try(_const(_string("and"), LogicOperator.AND)), _const(_string("or"), LogicOperator.OR)),
    "logic operator (and, or)",
)
_r_logic_children = _nested(
    _seq(
        _lexeme(_char("(")),
        _sep_by1(_lazy(lambda: _r_logic_tree), _lexeme(_char(","))),
        _lexeme(_char(")")),
        f=lambda _, children, __: tuple(children),
    )
)
_r_logic_tree: _Parser = _alt(
    _try(_r_logic_filter),
    _seq(
        _r_not,
        _r_logic_op,
        _r_logic_children,
        f=lambda negated, op, children: LogicTree(op, children, negated),
    ),
)

# order
_r_direction = _alt(
    _try(_seq(_r_delimiter, _const(_string("asc"), OrderDirection.ASC), f=_second)),
    _try(_seq(_r_delimiter, _const(_string("desc"), OrderDirection.DESC), f=_second)),
)
_r_nulls = _alt(
    _try(_seq(_r_delimiter, _const(_string("nullsfirst"), OrderNulls.FIRST), f=_second)),
    _try(_seq(_r_delimiter, _const(_string("nullslast"), OrderNulls.LAST), f=_second)),
)
_r_order_end = _alt(_try(_look_ahead(_char(","))), _try(_eof))
_r_nulls_end = _alt(_seq(_optional(_r_nulls), _r_order_end, f=_first), _const(_r_order_end, None))
_r_order_term = _seq(
    _r_field, _optional(_r_direction), _r_nulls_end, f=lambda fld, d, nl: OrderTerm(fld, d, nl)
)
_r_order_relation_term = _seq(
    _r_field_name,
    _between(_char("("), _char(")"), _r_field),
    _optional(_r_direction),
    _r_nulls_end,
    f=lambda rel, fld, d, nl: OrderTerm(fld, d, nl, rel),
)
_r_order = _map(_sep_by1(_lexeme(_alt(_try(_r_order_relation_term), _r_order_term)), _char(",")), tuple)

# paths and column lists
_r_names = _sep_by1(_r_field_name, _r_delimiter)
_r_tree_path = _seq(
    _r_names, _option((), _r_json_path), f=lambda names, jp: (tuple(names[:-1]), Field(names[-1], jp))
)
_r_logic_path = _map(_r_names, _logic_path_value)
_r_columns = _sep_by1(_r_field_name, _lexeme(_char(",")))


# -- error messages -------------------------------------------------------------


def _nub(items: list[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


def _commas_or(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _show_messages(messages: tuple[tuple[int, str], ...]) -> str:
    """Text.Parsec.Error.showErrorMessages, with PostgREST's newline-to-space and strip."""
    if not messages:
        return "unknown parse error"
    ordered = sorted(messages, key=itemgetter(0))  # stable, by kind only
    by_kind: list[list[str]] = [[], [], [], []]
    for kind, text in ordered:
        by_kind[kind].append(text)
    sys_unexpect, unexpect, expect, other = by_kind
    # SysUnExpect comes from satisfy/tokens (`show [c]`), UnExpect from notFollowedBy (`show c`)
    unexpect = [_show_char(c) if c else "" for c in unexpect]
    if unexpect or not sys_unexpect:
        shown_sys = ""
    else:
        shown_sys = "unexpected " + (_show_string(sys_unexpect[0]) if sys_unexpect[0] else "end of input")

    def many(prefix: str, texts: list[str]) -> str:
        texts = _nub(texts)
        if not texts:
            return ""
        return _commas_or(texts) if not prefix else prefix + " " + _commas_or(texts)

    parts = [shown_sys, many("unexpected", unexpect), many("expecting", expect), many("", other)]
    return " ".join(_nub(parts)).strip(_HS_SPACE)


def _position(text: str, index: int) -> str:
    # Parsec's updatePosChar: a newline starts a line, a tab moves to the next multiple of 8
    line = column = 1
    for c in text[:index]:
        if c == "\n":
            line, column = line + 1, 1
        elif c == "\t":
            column += 8 - (column - 1) % 8
        else:
            column += 1
    return f"(line {line}, column {column})"


def _raise(what: str, shown: str, text: str, index: int, details: str) -> NoReturn:
    # Parsec shows the source name between quotes, then the position
    raise QueryParamError(f'"failed to parse {what} ({shown})" {_position(text, index)}', details=details)


_MAX_REFERENCE_INPUT = 8192


def _reference(parser: _Parser, text: str, what: str, shown: str | None = None) -> Any:
    """Run the reference grammar; PostgREST's QPError when it fails (QueryParams.mapError).

    The reference parser backtracks and can take seconds on a long malformed
    value; a value the fast parser refused that is longer than
    ``_MAX_REFERENCE_INPUT`` is refused without it, so one request cannot
    hold a worker.
    """
    if len(text) > _MAX_REFERENCE_INPUT:
        _raise(what, (text if shown is None else shown)[:200] + "...", text, 0,
               f"a value longer than {_MAX_REFERENCE_INPUT} characters that does not parse")
    try:
        _, ok, value, _, error = parser(text, 0, 0)
    except _TooDeep as exc:
        _raise(
            what,
            text if shown is None else shown,
            text,
            exc.position,
            f"nesting deeper than {MAX_DEPTH} levels is not supported",
        )
    if ok:
        return value
    _raise(what, text if shown is None else shown, text, error[0], _show_messages(error[1]))


# ==============================================================================
# Public entry points
# ==============================================================================


@lru_cache(maxsize=1024)
def parse_select(text: str) -> tuple[SelectItem, ...]:
    """``select=`` into a tree of fields and embeds (PostgREST's pFieldForest)."""
    try:
        return _fast_select(text)
    except _Fail:
        return _reference(_r_forest, text, "select parameter")


@lru_cache(maxsize=1024)
def _tree_path(key: str) -> tuple[EmbedPath, Field]:
    try:
        return _fast_tree_path(key)
    except _Fail:
        return _reference(_r_tree_path, key, "tree path")


def _filter_value(value: str, rpc_read: bool) -> tuple[bool, Operation] | None:
    """``not.op.value``; None is an RPC argument (NoOpExpr) when ``rpc_read``."""
    try:
        return _fast_filter_value(value)
    except _Fail:
        pass
    # On GET /rpc a value that is not an operator expression is an argument, unless
    # Parsec consumed input before failing ("not.", "in.", "is.", "isdistinct.").
    if rpc_read and not value.startswith(("not.", "in.", "is.", "isdistinct.")):
        return None
    return _reference(_r_filter_value_rpc if rpc_read else _r_filter_value, value, "filter")


def parse_filter(key: str, value: str) -> tuple[EmbedPath, Filter]:
    """``actors.name=not.eq.x`` into the embed path and the filter (PostgREST's pRequestFilter)."""
    path, field = _tree_path(key)
    negated, operation = _filter_value(value, False)  # type: ignore[misc]
    return path, Filter(field, operation, negated)


@lru_cache(maxsize=1024)
def parse_order(text: str) -> tuple[OrderTerm, ...]:
    """``order=`` into its terms (PostgREST's pOrder)."""
    try:
        return _fast_order(text)
    except _Fail:
        return _reference(_r_order, text, "order")


@lru_cache(maxsize=256)
def _logic_path(key: str) -> tuple[EmbedPath, str]:
    try:
        return _fast_logic_path(key)
    except _Fail:
        return _reference(_r_logic_path, key, "logic path")


def parse_logic(key: str, value: str) -> tuple[EmbedPath, LogicNode]:
    """``actors.not.or=(a.eq.1,b.gt.2)`` into the embed path and the tree (PostgREST's pRequestLogicTree).

    As in PostgREST, the operator from the key is glued to the value
    ("not.or" + "(...)") and error positions count in that glued text.
    """
    path, op = _logic_path(key)
    text = op + value
    try:
        return path, _fast_logic(text)
    except _Fail:
        return path, _reference(_r_logic_tree, text, "logic tree", value)


@lru_cache(maxsize=256)
def _columns(text: str, what: str) -> tuple[str, ...]:
    try:
        return tuple(_fast_columns(text))
    except _Fail:
        return tuple(_reference(_r_columns, text, what))


def parse_columns(text: str) -> tuple[str, ...]:
    """``columns=`` or ``on_conflict=``: names separated by commas, in the order given."""
    return _columns(text, "columns parameter")


def parse_query(query_string: str | bytes, *, rpc_read: bool = False) -> QueryParams:
    """Every parameter of a raw (still percent-encoded) query string, as PostgREST's QueryParams.parse.

    ``rpc_read`` is set for GET and HEAD on ``/rpc/fn``, where a value that is
    not an operator expression is a function argument.  The first malformed
    parameter raises :class:`QueryParamError` (PGRST100), checked in
    PostgREST's order: order, logic trees, columns, select, filters,
    on_conflict, then limit/offset keys.
    """
    raw_pairs = _split_query(query_string)
    pairs = [
        (_utf8(key, index, "key"), None if value is None else _utf8(value, index, "value"))
        for index, (key, value) in enumerate(raw_pairs)
    ]

    whole: dict[str, str | None] = {}
    orders: list[tuple[str, str]] = []
    logics: list[tuple[str, str]] = []
    filters: list[tuple[str, str]] = []
    limits: dict[str, str] = {}
    offsets: dict[str, str] = {}
    for key, value in pairs:
        if key in _RESERVED:
            whole.setdefault(key, value)  # L.lookup: the first occurrence, even without '='
            continue
        if value is None:
            continue
        head, dot, last = key.rpartition(".")
        if last == "order":
            orders.append((key, value))
        elif last == "limit":
            limits[key] = value
        elif last == "offset":
            offsets[head + dot + "limit"] = value  # PostgREST renames a.offset to a.limit to pair them
        elif last == "and" or last == "or":
            logics.append((key, value))
        else:
            filters.append((key, value))

    order: dict[EmbedPath, tuple[OrderTerm, ...]] = {}
    for key, value in orders:
        path, _ = _tree_path(key)
        terms = parse_order(value)
        order.setdefault(path, terms)

    logic = tuple(parse_logic(key, value) for key, value in logics)

    columns_text = whole.get("columns")
    columns = None if columns_text is None else tuple(sorted(set(parse_columns(columns_text))))

    select_text = whole.get("select")
    select = parse_select("*" if select_text is None else select_text)

    parsed_filters: list[tuple[EmbedPath, Filter]] = []
    params: list[tuple[str, str]] = []
    for key, value in filters:
        path, field = _tree_path(key)
        expression = _filter_value(value, rpc_read)
        if expression is None:
            params.append((field.name, value))
        else:
            parsed_filters.append((path, Filter(field, expression[1], expression[0])))

    on_conflict_text = whole.get("on_conflict")
    on_conflict = None if on_conflict_text is None else _columns(on_conflict_text, "on_conflict parameter")

    ranges: dict[EmbedPath, LimitOffset] = {}
    for key in (*limits, *(k for k in offsets if k not in limits)):
        path, _ = _tree_path(key)
        ranges[path] = LimitOffset(limits.get(key), offsets.get(key))

    return QueryParams(
        canonical=_canonical(raw_pairs),
        select=select,
        filters=tuple(parsed_filters),
        filters_root=tuple(flt for path, flt in parsed_filters if not path),
        filters_not_root=tuple((path, flt) for path, flt in parsed_filters if path),
        filter_fields=frozenset(key for key, _ in filters),
        logic=logic,
        order=tuple(order.items()),
        ranges=tuple(ranges.items()),
        params=tuple(params),
        columns=columns,
        on_conflict=on_conflict,
    )
