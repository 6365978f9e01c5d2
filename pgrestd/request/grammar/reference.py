"""The reference parser: PostgREST's Parsec grammar, rule by rule, on an emulation of Parsec's semantics."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any, NoReturn

from ...errors import QueryParamError
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
    LogicOperator,
    LogicTree,
    Operation,
    OrderDirection,
    OrderNulls,
    OrderTerm,
    Quantifier,
    SelectEmbed,
    SelectField,
)
from ..operators import OPERATORS, OperatorKind

__all__ = [
    "COMMITTING_PREFIXES",
    "HS_SPACE",
    "IS_WORDS",
    "MAX_DEPTH",
    "STAR",
    "columns",
    "filter_value",
    "filter_value_rpc",
    "logic_path",
    "logic_path_value",
    "logic_tree",
    "order",
    "parse",
    "select",
    "tree_path",
]

# The reference parser decides every input exactly as PostgREST does and
# produces PostgREST's error messages byte for byte.  It is slow, and runs only
# when the fast parser (fast.py) gives up; the fast parser may only ever
# succeed where this one succeeds, with the same result.
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


# -- the grammar's vocabulary, shared with the fast parser -----------------------

# Embeds inside embeds, and logic trees inside logic trees, nest at most this
# deep.  PostgREST has no limit; Python's stack has one, and the reference
# parser spends about a dozen frames per level.
MAX_DEPTH = 32

# Haskell's isSpace, which Data.Text.strip uses: Latin-1 blanks and category Zs.
HS_SPACE = (
    "\t\n\v\f\r \xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)

# The field of `select=*` and of `count()`.
STAR = Field("*")

# The values of `is.`, each matched case-insensitively letter by letter (ciString).
IS_WORDS = tuple((value.value, value) for value in IsValue)  # null, not_null, true, false, unknown


def logic_path_value(names: list[str]) -> tuple[EmbedPath, str]:
    """pLogicPath's result: the embed path, and the operator with "not." if "not" came anywhere before it."""
    op = names[-1]
    return tuple(name for name in names[:-1] if name != "not"), ("not." + op if "not" in names else op)


# -- the combinators: Parsec's semantics -----------------------------------------

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
_r_json_key_identifier = _map(_many1(_none_of("(-:.,>)")), lambda cs: "".join(cs).strip(HS_SPACE))
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
        _try(_seq(_string("*"), _r_select_end, f=lambda *_: SelectField(STAR))),
        _try(
            _seq(
                _r_alias,
                _string("count()"),
                _r_cast,
                _r_select_end,
                f=lambda alias, _, agg_cast, __: SelectField(
                    STAR, alias, None, AggregateFunction.COUNT, agg_cast
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
    _alt(*(_try(_const(_ci_string(word), value)) for word, value in IS_WORDS)),
    "isVal: (null, not_null, true, false, unknown)",
)


def _keys(kind: OperatorKind, quantifiable: bool | None = None) -> list[str]:
    # The operator table's keys of one kind, in the order QueryParams.hs tries them
    return [op.key for op in OPERATORS if op.kind is kind and quantifiable in (None, op.quantifiable)]


def _keyword(kind: OperatorKind, quantifiable: bool | None = None) -> _Parser:
    return _alt(*(_try(_string(key)) for key in _keys(kind, quantifiable)))


def _prefixed(kind: OperatorKind, value: _Parser, build: Callable[[Any], Operation]) -> _Parser:
    # try (string "<key>" *> pDelimiter) *> value, for the one operator of a kind
    (key,) = _keys(kind)
    return _seq(_try(_seq(_string(key), _r_delimiter)), value, f=lambda _, v: build(v))


def _r_op_expr(value: _Parser) -> _Parser:
    in_ = _prefixed(OperatorKind.IN, _r_list_val, In)
    is_ = _prefixed(OperatorKind.IS, _r_is_val, Is)
    is_distinct = _prefixed(OperatorKind.IS_DISTINCT, value, IsDistinct)
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

# The values on which pOpExpr fails only after consuming input ("not." and the
# operators read by _prefixed), so that on GET /rpc a malformed one is an
# error, never a function argument.
COMMITTING_PREFIXES: tuple[str, ...] = (
    "not.",
    *(
        key + "."
        for kind in (OperatorKind.IN, OperatorKind.IS, OperatorKind.IS_DISTINCT)
        for key in _keys(kind)
    ),
)

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
_r_logic_path = _map(_r_names, logic_path_value)
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
    return " ".join(_nub(parts)).strip(HS_SPACE)


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


def parse(parser: _Parser, text: str, what: str, shown: str | None = None) -> Any:
    """Run the reference grammar; PostgREST's QPError when it fails (QueryParams.mapError).

    The reference parser backtracks and can take seconds on a long malformed
    value; a value the fast parser refused that is longer than
    ``_MAX_REFERENCE_INPUT`` is refused without it, so one request cannot
    hold a worker.
    """
    if len(text) > _MAX_REFERENCE_INPUT:
        _raise(
            what,
            (text if shown is None else shown)[:200] + "...",
            text,
            0,
            f"a value longer than {_MAX_REFERENCE_INPUT} characters that does not parse",
        )
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


# -- the entry points: one rule per query parameter, run with parse() -------------

select = _r_forest  # pFieldForest
tree_path = _r_tree_path  # pTreePath
filter_value = _r_filter_value  # pOpExpr pSingleVal
filter_value_rpc = _r_filter_value_rpc  # the same, or an RPC argument (NoOpExpr) on GET /rpc
logic_tree = _r_logic_tree  # pLogicTree
logic_path = _r_logic_path  # pLogicPath
order = _r_order  # pOrder
columns = _r_columns  # pColumns, also for on_conflict
