"""The fast parser: hand-written recursive descent for the query-string grammar, giving up on the unusual."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..model import (
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
    LogicNode,
    LogicOperator,
    LogicTree,
    Operation,
    OrderDirection,
    OrderNulls,
    OrderTerm,
    Quantifier,
    SelectEmbed,
    SelectField,
    SelectItem,
)
from ..operators import BY_KEY, OperatorKind
from .reference import HS_SPACE, IS_WORDS, MAX_DEPTH, STAR, logic_path_value

__all__ = ["Fail", "columns", "filter_value", "logic_path", "logic_tree", "order", "select", "tree_path"]

# Each entry point reads the input people actually send, strictly, and raises
# Fail on anything unusual: the reference parser (reference.py) then decides,
# as PostgREST does, with PostgREST's error message.  This parser may only ever
# succeed where the reference parser succeeds, with the same result;
# tests/unit/request/test_grammar_properties.py checks that.  It shares the
# grammar's vocabulary (HS_SPACE, MAX_DEPTH, ...) with the reference parser.


class Fail(Exception):
    """The fast parser gives up; the reference parser decides."""


_IDENT_ASCII = re.compile(r"[A-Za-z0-9_ $]*")  # pIdentifierChar below U+0080
_JSON_KEY_CHARS = re.compile(r"[^(\-:.,>)]*")  # pJsonKeyIdentifier: noneOf "(-:.,>)"
_JSON_INDEX = re.compile(r"-?[0-9]+")
_OP_WORD = re.compile(r"[a-z]*")
_UNTIL_COMMA_PAREN = re.compile(r"[^,)]*")
_AGGREGATE = re.compile(r"\.(sum|avg|count|max|min)\(\)")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_$]+")

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
            raise Fail
        backslash = s.find("\\", j, quote)
        if backslash < 0:
            chunks.append(s[j:quote])
            return "".join(chunks), quote + 1
        chunks.append(s[j:backslash])
        if backslash + 1 >= n:
            raise Fail
        chunks.append(s[backslash + 1])
        j = backslash + 2


def _f_dashed(s: str, i: int, n: int, scan: Callable[[str, int, int], int], strip: str) -> tuple[str, int]:
    # sepByDash: parts joined by a '-' that does not start "->"; each part stripped
    j = scan(s, i, n)
    if j == i:
        raise Fail
    text = s[i:j].strip(strip)
    if j < n and s[j] == "-" and (j + 1 == n or s[j + 1] != ">"):
        parts = [text]
        while j < n and s[j] == "-" and (j + 1 == n or s[j + 1] != ">"):
            k = scan(s, j + 1, n)
            if k == j + 1:
                raise Fail
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
            key, i = _f_dashed(s, i, n, _scan_json_key, HS_SPACE)
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
            raise Fail
        j = _scan_ident(s, i + 2, n)
        if j == i + 2:
            raise Fail
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
        raise Fail
    i += 1
    if i < n and s[i] == ")":
        return (), i + 1
    items, i = _f_forest(s, i, n, depth + 1)
    if i < n and s[i] == ")":
        return items, i + 1
    raise Fail


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
            raise Fail  # blanks not followed by ',': the separator failed after consuming
        return tuple(items), i


def _f_tree(s: str, i: int, n: int, depth: int) -> tuple[SelectItem, int]:
    i = _ws(s, i, n)
    if s.startswith("...", i):
        name, j = _f_field_name(s, i + 3, n)
        hint, join, j = _f_embed_params(s, j, n)
        if j < n and s[j] == "(":
            children, j = _f_children(s, j, n, depth)
            return SelectEmbed(name, children, None, hint, join, True), j
        raise Fail
    if i < n and s[i] == "*":
        if i + 1 == n or s[i + 1] in ",)":
            return SelectField(STAR), i + 1
        raise Fail
    alias: str | None = None
    j = i
    try:
        name, k = _f_field_name(s, i, n)
        if k < n and s[k] == ":" and (k + 1 == n or s[k + 1] != ":"):
            alias, j = name, k + 1
    except Fail:
        pass
    # pRelationSelect: name, embed params, then a '(' must follow
    try:
        name, k = _f_field_name(s, j, n)
        if name != "count":
            hint, join, k = _f_embed_params(s, k, n)
            if k < n and s[k] == "(":
                children, k = _f_children(s, k, n, depth)
                return SelectEmbed(name, children, alias, hint, join, False), k
    except Fail:
        pass
    # pFieldSelect: count() or a field with cast, aggregate and aggregate cast
    if s.startswith("count()", j):
        agg_cast, k = _f_cast(s, j + 7, n)
        if k == n or s[k] in ",)":
            return SelectField(STAR, alias, None, AggregateFunction.COUNT, agg_cast), k
        raise Fail
    field, k = _f_field(s, j, n)
    cast, k = _f_cast(s, k, n)
    aggregate: AggregateFunction | None = None
    if k < n and s[k] == ".":
        match = _AGGREGATE.match(s, k)
        if match is None:
            raise Fail
        aggregate = AggregateFunction(match.group(1))
        k = match.end()
    agg_cast, k = _f_cast(s, k, n)
    if k == n or s[k] in ",)":
        return SelectField(field, alias, cast, aggregate, agg_cast), k
    raise Fail


def select(s: str) -> tuple[SelectItem, ...]:
    """``select=`` (pFieldForest), or Fail."""
    n = len(s)
    if n == 0:
        return ()
    items, i = _f_forest(s, 0, n, 0)
    if i != n:
        raise Fail
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
            except Fail:
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
        raise Fail
    i = _ws(s, i + 1, n)
    items: list[str] = []
    while True:
        item: str | None = None
        if i < n and s[i] == '"':
            try:
                item, j = _f_quoted(s, i, n)
                if j != n and s[j] not in ",)":
                    item = None
            except Fail:
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
    raise Fail


def _f_is(s: str, i: int, n: int) -> tuple[IsValue, int]:
    # each letter matches itself or its upper case (ciString)
    for word, value in IS_WORDS:
        end = i + len(word)
        if end <= n and all(a == b or a == b.upper() for a, b in zip(s[i:end], word)):
            return value, end
    raise Fail


def _f_op_expr(s: str, i: int, n: int, logic: bool) -> tuple[bool, Operation, int]:
    # pOpExpr: an optional "not.", a key of the operator table, its modifier, '.', then its kind's value
    negated = s.startswith("not.", i)
    if negated:
        i += 4
    match = _OP_WORD.match(s, i)
    j = match.end()  # type: ignore[union-attr]
    op = BY_KEY.get(match.group())  # type: ignore[union-attr]
    if op is None:
        raise Fail
    kind = op.kind
    language: str | None = None
    quantifier: Quantifier | None = None
    if kind is OperatorKind.FTS:
        if j < n and s[j] == "(":
            k = _scan_ident(s, j + 1, n)
            if k == j + 1 or k >= n or s[k] != ")":
                raise Fail
            language, j = s[j + 1 : k].strip(" "), k + 1
    elif op.quantifiable and j < n and s[j] == "(":
        if s.startswith("(any)", j):
            quantifier = Quantifier.ANY
        elif s.startswith("(all)", j):
            quantifier = Quantifier.ALL
        else:
            raise Fail
        j += 5
    if j >= n or s[j] != ".":
        raise Fail
    j += 1
    if kind is OperatorKind.IN:
        values, j = _f_list(s, j, n)
        return negated, In(values), j
    if kind is OperatorKind.IS:
        is_value, j = _f_is(s, j, n)
        return negated, Is(is_value), j
    value, j = _f_value(s, j, n, logic)
    if kind is OperatorKind.COMPARE:
        return negated, Compare(op.key, value, quantifier), j
    if kind is OperatorKind.IS_DISTINCT:
        return negated, IsDistinct(value), j
    return negated, FullTextSearch(op.key, value, language), j


def filter_value(s: str) -> tuple[bool, Operation]:
    """A filter's value ``[not.]op.value`` (pOpExpr pSingleVal), or Fail."""
    n = len(s)
    negated, operation, j = _f_op_expr(s, 0, n, False)
    if j != n:
        raise Fail
    return negated, operation


def _f_logic_node(s: str, i: int, n: int, depth: int) -> tuple[LogicNode, int]:
    # Stmnt <$> try pLogicFilter <|> Expr <$> pNot <*> pLogicOp <*> children
    try:
        field, j = _f_field(s, i, n)
        if j < n and s[j] == ".":
            negated, operation, j = _f_op_expr(s, j + 1, n, True)
            return Filter(field, operation, negated), j
    except Fail:
        pass
    negated = s.startswith("not.", i)
    j = i + 4 if negated else i
    if s.startswith("and", j):
        operator, j = LogicOperator.AND, j + 3
    elif s.startswith("or", j):
        operator, j = LogicOperator.OR, j + 2
    else:
        raise Fail
    j = _ws(s, j, n)
    if j >= n or s[j] != "(" or depth >= MAX_DEPTH:
        raise Fail
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
            raise Fail  # blanks not followed by ',': the separator failed after consuming
        break
    if j < n and s[j] == ")":
        return LogicTree(operator, tuple(children), negated), _ws(s, j + 1, n)
    raise Fail


def logic_tree(s: str) -> LogicNode:
    """A logic tree glued to its operator, ``or(a.eq.1,...)`` (pLogicTree), or Fail."""
    n = len(s)
    node, i = _f_logic_node(s, 0, n, 0)
    if i != n:
        raise Fail
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
    raise Fail


def order(s: str) -> tuple[OrderTerm, ...]:
    """``order=`` (pOrder), or Fail."""
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
        except Fail:
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


def tree_path(s: str) -> tuple[EmbedPath, Field]:
    """A filter's key, ``embed.field->json`` (pTreePath), or Fail."""
    if _PLAIN_NAME.fullmatch(s):
        return (), Field(s)
    n = len(s)
    names, i = _f_names(s, n)
    path, i = _f_json_path(s, i, n)
    if i != n:
        raise Fail
    return tuple(names[:-1]), Field(names[-1], path)


def logic_path(s: str) -> tuple[EmbedPath, str]:
    """A logic tree's key, ``embed.not.or`` (pLogicPath), or Fail."""
    n = len(s)
    names, i = _f_names(s, n)
    if i != n:
        raise Fail
    return logic_path_value(names)


def columns(s: str) -> list[str]:
    """``columns=`` or ``on_conflict=`` (pColumns), or Fail."""
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
            raise Fail
        return names
