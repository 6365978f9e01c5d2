"""Tests for pgrestd.request.grammar: PostgREST's query-string grammar, valid and malformed input."""

from __future__ import annotations

import glob
import json
import os

import pytest

from pgrestd.errors import QueryParamError
from pgrestd.request.grammar import (
    MAX_DEPTH,
    parse_columns,
    parse_filter,
    parse_logic,
    parse_order,
    parse_query,
    parse_select,
)
from pgrestd.request.grammar.reference import _position
from pgrestd.request.model import (
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
    LimitOffset,
    LogicOperator,
    LogicTree,
    OrderDirection,
    OrderNulls,
    OrderTerm,
    Quantifier,
    QueryParams,
    SelectEmbed,
    SelectField,
)
from pgrestd.request.operators import BY_KEY, IS_KEYWORDS, OPERATORS, QUANTIFIABLE, OperatorKind

STAR = Field("*")
AND, OR = LogicOperator.AND, LogicOperator.OR
ASC, DESC = OrderDirection.ASC, OrderDirection.DESC
FIRST, LAST = OrderNulls.FIRST, OrderNulls.LAST


def key(name: str, arrow: str = "->") -> JsonOperation:
    return JsonOperation(JsonArrow(arrow), JsonKey(name))


def idx(value: str, arrow: str = "->") -> JsonOperation:
    return JsonOperation(JsonArrow(arrow), JsonIndex(value))


def fld(name: str, *path: JsonOperation) -> Field:
    return Field(name, tuple(path))


def col(name: str, *path: JsonOperation, **kwargs: object) -> SelectField:
    return SelectField(Field(name, tuple(path)), **kwargs)  # type: ignore[arg-type]


def embed(name: str, *children: object, **kwargs: object) -> SelectEmbed:
    return SelectEmbed(name, tuple(children), **kwargs)  # type: ignore[arg-type]


def flt(name: str, operation: object, negated: bool = False, *path: JsonOperation) -> Filter:
    return Filter(Field(name, tuple(path)), operation, negated)  # type: ignore[arg-type]


def error_of(call: object, *args: object, **kwargs: object) -> QueryParamError:
    with pytest.raises(QueryParamError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == "PGRST100"
    assert caught.value.status == 400
    return caught.value


# ==============================================================================
# select
# ==============================================================================


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*", (col("*"),)),
        ("", ()),
        ("id,name", (col("id"), col("name"))),
        ("  id ,  name  ", (col("id"), col("name"))),
        ("first name", (col("first name"),)),
        ("a-b,c-d", (col("a-b"), col("c-d"))),
        ("$x,_y,1col", (col("$x"), col("_y"), col("1col"))),
        ("名前,ñame,Ωmega", (col("名前"), col("ñame"), col("Ωmega"))),
        ('"quoted, (name)"', (col("quoted, (name)"),)),
        ('"a\\"b\\\\c"', (col('a"b\\c'),)),
        # aliases and casts
        ("alias:name", (col("name", alias="alias"),)),
        ("my alias : name", (col("name", alias="my alias"),)),
        ('"a:b":name', (col("name", alias="a:b"),)),
        ("name::text", (col("name", cast="text"),)),
        ("price::double precision", (col("price", cast="double precision"),)),
        ("alias:name->jsonpath::cast", (col("name", key("jsonpath"), cast="cast", alias="alias"),)),
        ("alias:name->!@#$%^&*_a::cast", (col("name", key("!@#$%^&*_a"), cast="cast", alias="alias"),)),
        # JSON paths
        ("data->a->>b", (col("data", key("a"), key("b", "->>")),)),
        ("data->0->>-1", (col("data", idx("+0"), idx("-1", "->>")),)),
        ("data->12->x", (col("data", idx("+12"), key("x")),)),
        ("data->1.sum()", (col("data", idx("+1"), aggregate=AggregateFunction.SUM),)),
        ('data->"a.b,c"->>"d"', (col("data", key("a.b,c"), key("d", "->>")),)),
        ("data-> a b ", (col("data", key("a b")),)),
        ("data->a-b", (col("data", key("a-b")),)),
        ("data->1-2", (col("data", key("1-2")),)),
        ("data->>x::int", (col("data", key("x", "->>"), cast="int"),)),
        ("n:data->a->>0::text", (col("data", key("a"), idx("+0", "->>"), cast="text", alias="n"),)),
        # PostgREST's index end (pEnd) does not include ')': inside an embed ->0 is a key
        ("rel(data->0)", (embed("rel", col("data", key("0"))),)),
        # embeds
        ("client(id)", (embed("client", col("id")),)),
        ("*,client(*,nested(*))", (col("*"), embed("client", col("*"), embed("nested", col("*"))))),
        ("rel()", (embed("rel"),)),
        ("alias:rel(*)", (embed("rel", col("*"), alias="alias"),)),
        ("rel!hint(*)", (embed("rel", col("*"), hint="hint"),)),
        ("rel!inner(*)", (embed("rel", col("*"), join_type=JoinType.INNER),)),
        ("rel!left(*)", (embed("rel", col("*"), join_type=JoinType.LEFT),)),
        ("rel!hint!inner(*)", (embed("rel", col("*"), hint="hint", join_type=JoinType.INNER),)),
        (
            "alias:rel!inner!hint(*)",
            (embed("rel", col("*"), alias="alias", hint="hint", join_type=JoinType.INNER),),
        ),
        ("rel!a!b(*)", (embed("rel", col("*"), hint="a"),)),
        ("rel!inner!left(*)", (embed("rel", col("*"), join_type=JoinType.INNER),)),
        ('rel!"fk-name"(id)', (embed("rel", col("id"), hint="fk-name"),)),
        ("rel(a)  ,  b", (embed("rel", col("a")), col("b"))),
        ("a(b(c(d)))", (embed("a", embed("b", embed("c", col("d")))),)),
        ("count:rel(id)", (embed("rel", col("id"), alias="count"),)),
        # spread
        (
            "*,...client(*),other(*)",
            (col("*"), embed("client", col("*"), spread=True), embed("other", col("*"))),
        ),
        (
            "...rel!hint!inner(a,b)",
            (embed("rel", col("a"), col("b"), hint="hint", join_type=JoinType.INNER, spread=True),),
        ),
        # aggregates
        ("count()", (SelectField(STAR, aggregate=AggregateFunction.COUNT),)),
        (
            "total:count()::int",
            (SelectField(STAR, alias="total", aggregate=AggregateFunction.COUNT, aggregate_cast="int"),),
        ),
        ("amount.sum()", (col("amount", aggregate=AggregateFunction.SUM),)),
        (
            "amount.avg(),amount.max(),amount.min(),id.count()",
            (
                col("amount", aggregate=AggregateFunction.AVG),
                col("amount", aggregate=AggregateFunction.MAX),
                col("amount", aggregate=AggregateFunction.MIN),
                col("id", aggregate=AggregateFunction.COUNT),
            ),
        ),
        (
            "s:amount::numeric.sum()::int",
            (
                col(
                    "amount", alias="s", cast="numeric", aggregate=AggregateFunction.SUM, aggregate_cast="int"
                ),
            ),
        ),
        (
            "rel(count(),name)",
            (embed("rel", SelectField(STAR, aggregate=AggregateFunction.COUNT), col("name")),),
        ),
        ("count", (col("count"),)),
    ],
)
def test_select(text: str, expected: tuple[object, ...]) -> None:
    assert parse_select(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # PostgREST parses a prefix of select= and ignores the rest: pFieldForest has no eof
        ("a)", (col("a"),)),
        ("a(b))x", (embed("a", col("b")),)),
        (",a", ()),
        ("*x", ()),
        ("...x", ()),
        ("\x00(", ()),
        ("a(b)c", (embed("a", col("b")),)),
    ],
)
def test_select_prefix_quirks(text: str, expected: tuple[object, ...]) -> None:
    assert parse_select(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "details"),
    [
        # PostgREST's doctests for pFieldForest and pFieldSelect
        (
            "id,clients(name[])",
            "(line 1, column 16)",
            'unexpected \'[\' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input',
        ),
        (
            "data->>-78xy",
            "(line 1, column 11)",
            'unexpected \'x\' expecting digit, "->", "::", ".", "," or end of input',
        ),
        (
            "name!hint",
            "(line 1, column 5)",
            'unexpected \'!\' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input',
        ),
        ("name::", "(line 1, column 7)", "unexpected end of input expecting letter or digit"),
        # QuerySpec: JSON keys with reserved characters
        (
            "data->(!@#$%^&*_d->>!@#$%^&*_e::integer",
            "(line 1, column 7)",
            'unexpected "(" expecting "-", digit or any non reserved character different from: .,>()',
        ),
    ],
)
def test_select_errors_match_postgrest(text: str, position: str, details: str) -> None:
    error = error_of(parse_select, text)
    assert error.message == f'"failed to parse select parameter ({text})" {position}'
    assert error.details == details
    assert error.hint is None


@pytest.mark.parametrize(
    "text",
    [
        "rel(id",
        "rel(id,)",
        "rel( )",
        "rel!(id)",
        "rel!leftover(*)",
        "*,",
        "a:b:c",
        "a::",
        "a.sum",
        "a.sum()x",
        "a.mix()",
        "count(x)",
        "rel->x(*)",
        '"unterminated',
        "a-",
        "a--b",
        "a->",
        "a->>",
        'a->"x',
        "x.y",
        "a b,c!",
    ],
)
def test_select_errors(text: str) -> None:
    error = error_of(parse_select, text)
    assert error.message.startswith(f'"failed to parse select parameter ({text})" (line 1, column ')
    assert error.details


def test_error_position_counts_lines_and_tabs_like_parsec() -> None:
    error = error_of(
        parse_order, "\tid.descc"
    )  # the tab moves to column 9, the bad 'c' is the 8th character after
    assert error.message.endswith("(line 1, column 16)")
    assert _position("a\n\tb", 4) == "(line 2, column 10)"


# ==============================================================================
# filters
# ==============================================================================


@pytest.mark.parametrize(
    ("value", "operation"),
    [
        ("eq.1", Compare("eq", "1")),
        ("neq.1", Compare("neq", "1")),
        ("gt.1", Compare("gt", "1")),
        ("gte.1", Compare("gte", "1")),
        ("lt.1", Compare("lt", "1")),
        ("lte.1", Compare("lte", "1")),
        ("like.*a*", Compare("like", "*a*")),
        ("ilike.*A%*", Compare("ilike", "*A%*")),
        ("match.^a.*$", Compare("match", "^a.*$")),
        ("imatch.^A", Compare("imatch", "^A")),
        ("cs.{1,2}", Compare("cs", "{1,2}")),
        ("cd.{1,2}", Compare("cd", "{1,2}")),
        ("ov.[1,5)", Compare("ov", "[1,5)")),
        ("sl.(1,10)", Compare("sl", "(1,10)")),
        ("sr.(1,10)", Compare("sr", "(1,10)")),
        ("nxr.(1,10)", Compare("nxr", "(1,10)")),
        ("nxl.(1,10)", Compare("nxl", "(1,10)")),
        ("adj.(1,10)", Compare("adj", "(1,10)")),
        ("isdistinct.x", IsDistinct("x")),
        ("fts.cat & dog", FullTextSearch("fts", "cat & dog")),
        ("plfts.cat dog", FullTextSearch("plfts", "cat dog")),
        ("phfts.cat dog", FullTextSearch("phfts", "cat dog")),
        ("wfts.cat or dog", FullTextSearch("wfts", "cat or dog")),
        ("fts(english).cat", FullTextSearch("fts", "cat", "english")),
        ("wfts(simple).a b", FullTextSearch("wfts", "a b", "simple")),
        ("fts( english ).cat", FullTextSearch("fts", "cat", "english")),
        # the value is the whole rest of the parameter, dots, commas and parentheses included
        ("eq.", Compare("eq", "")),
        ("eq.a.b.c", Compare("eq", "a.b.c")),
        ("eq.a,b)(", Compare("eq", "a,b)(")),
        ('eq."quoted"', Compare("eq", '"quoted"')),
        ("eq.not.x", Compare("eq", "not.x")),
        ("eq.\x00;'--", Compare("eq", "\x00;'--")),
        # quantifiers
        ("eq(any).{1,2}", Compare("eq", "{1,2}", Quantifier.ANY)),
        ("eq(all).{1,2}", Compare("eq", "{1,2}", Quantifier.ALL)),
        ("gt(any).{1,2}", Compare("gt", "{1,2}", Quantifier.ANY)),
        ("gte(all).{1,2}", Compare("gte", "{1,2}", Quantifier.ALL)),
        ("lt(any).{1}", Compare("lt", "{1}", Quantifier.ANY)),
        ("lte(any).{1}", Compare("lte", "{1}", Quantifier.ANY)),
        ("like(any).{a*,*b}", Compare("like", "{a*,*b}", Quantifier.ANY)),
        ("ilike(all).{a*,*b}", Compare("ilike", "{a*,*b}", Quantifier.ALL)),
        ("match(any).{^a,b$}", Compare("match", "{^a,b$}", Quantifier.ANY)),
        ("imatch(all).{^a,b$}", Compare("imatch", "{^a,b$}", Quantifier.ALL)),
        # is
        ("is.null", Is(IsValue.NULL)),
        ("is.not_null", Is(IsValue.NOT_NULL)),
        ("is.true", Is(IsValue.TRUE)),
        ("is.false", Is(IsValue.FALSE)),
        ("is.unknown", Is(IsValue.UNKNOWN)),
        ("is.NULL", Is(IsValue.NULL)),
        ("is.NoT_NuLl", Is(IsValue.NOT_NULL)),
        ("is.True", Is(IsValue.TRUE)),
        # in
        ("in.(1,2,3)", In(("1", "2", "3"))),
        ("in.()", In(("",))),
        ('in.("")', In(("",))),
        ("in.(a)", In(("a",))),
        ('in.("a,b","c)d",e)', In(("a,b", "c)d", "e"))),
        ('in.("a\\"b","c\\\\d")', In(('a"b', "c\\d"))),
        ('in.("a"b,c)', In(('"a"b', "c"))),
        ('in.("a" ,b)', In(('"a" ', "b"))),
        ("in.( a , b )", In(("a ", " b "))),
        ("in.( ,3,4)", In(("", "3", "4"))),
        ("in. (1)", In(("1",))),
        ("in.(a(b)", In(("a(b",))),
        ('in.("unterminated,x)', In(('"unterminated', "x"))),
    ],
)
def test_filter_operations(value: str, operation: object) -> None:
    assert parse_filter("col", value) == ((), Filter(Field("col"), operation))  # type: ignore[arg-type]
    assert parse_filter("col", "not." + value) == ((), Filter(Field("col"), operation, True))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "operation"),
    [
        # pOpExpr has no eof: PostgREST ignores what follows a list or an is-value
        ("in.(1,2)junk", In(("1", "2"))),
        ("is.nullx", Is(IsValue.NULL)),
        ("is.truely", Is(IsValue.TRUE)),
    ],
)
def test_filter_trailing_text_quirks(value: str, operation: object) -> None:
    assert parse_filter("c", value) == ((), Filter(Field("c"), operation))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "path", "field"),
    [
        ("id", (), fld("id")),
        ("actors.name", ("actors",), fld("name")),
        ("a.b.c", ("a", "b"), fld("c")),
        ('"a.b".c', ("a.b",), fld("c")),
        ("data->a->>b", (), fld("data", key("a"), key("b", "->>"))),
        ("data->0", (), fld("data", idx("+0"))),
        ("data->-1", (), fld("data", idx("-1"))),
        ("rel.data->>x", ("rel",), fld("data", key("x", "->>"))),
        ("first name", (), fld("first name")),
        ("名前", (), fld("名前")),
        ("select", (), fld("select")),
    ],
)
def test_filter_keys(name: str, path: tuple[str, ...], field: Field) -> None:
    assert parse_filter(name, "eq.1") == (path, Filter(field, Compare("eq", "1")))


@pytest.mark.parametrize(
    ("value", "position", "details"),
    [
        # PostgREST's doctests for pRequestFilter and pOpExpr
        ("val", "(line 1, column 1)", 'unexpected "v" expecting "not" or operator (eq, gt, ...)'),
        ("noop.0", "(line 1, column 1)", 'unexpected "o" expecting "not" or operator (eq, gt, ...)'),
        ("fts().value", "(line 1, column 5)", 'unexpected ")" expecting operator (eq, gt, ...)'),
        ("eq().value", "(line 1, column 4)", 'unexpected ")" expecting operator (eq, gt, ...)'),
        ("is().value", "(line 1, column 3)", 'unexpected "(" expecting operator (eq, gt, ...)'),
        ("in().value", "(line 1, column 3)", 'unexpected "(" expecting operator (eq, gt, ...)'),
    ],
)
def test_filter_errors_match_postgrest(value: str, position: str, details: str) -> None:
    error = error_of(parse_filter, "id", value)
    assert error.message == f'"failed to parse filter ({value})" {position}'
    assert error.details == details


@pytest.mark.parametrize(
    "value",
    [
        "",
        "eq",
        "EQ.1",
        "eq1",
        "neq(any).1",
        "cs(all).x",
        "eq(ANY).1",
        "eq(some).1",
        "in.1,2",
        "in.(1,2",
        "is.maybe",
        "is.",
        "fts(.x",
        "fts(a b.x",
        "isdistinct",
        "not.",
        "not.not.eq.1",
        "not.in.(",
        "in",
    ],
)
def test_filter_value_errors(value: str) -> None:
    error = error_of(parse_filter, "id", value)
    assert error.message.startswith(f'"failed to parse filter ({value})" (line 1, column ')


@pytest.mark.parametrize("name", ["", ".a", "a.", "a..b", "(x", "a->", '"x'])
def test_filter_key_errors(name: str) -> None:
    error = error_of(parse_filter, name, "eq.1")
    assert error.message.startswith(f'"failed to parse tree path ({name})" (line 1, column ')


def test_filter_key_error_wins_over_value_error() -> None:
    error = error_of(parse_filter, "(x", "nope")
    assert "tree path" in error.message


def test_filter_key_trailing_text_is_ignored_like_postgrest() -> None:
    # pTreePath has no eof either
    assert parse_filter("id)x", "eq.1") == ((), Filter(fld("id"), Compare("eq", "1")))
    assert parse_filter("data->a.b", "eq.1")[1].field == fld("data", key("a"))


# ==============================================================================
# logic trees
# ==============================================================================


@pytest.mark.parametrize(
    ("name", "value", "path", "tree"),
    [
        (
            "or",
            "(a.eq.1,b.eq.2)",
            (),
            LogicTree(OR, (flt("a", Compare("eq", "1")), flt("b", Compare("eq", "2")))),
        ),
        (
            "and",
            "(a.gte.1,or(b.eq.2,c.is.null))",
            (),
            LogicTree(
                AND,
                (
                    flt("a", Compare("gte", "1")),
                    LogicTree(OR, (flt("b", Compare("eq", "2")), flt("c", Is(IsValue.NULL)))),
                ),
            ),
        ),
        (
            "not.or",
            "(a.eq.1,b.eq.2)",
            (),
            LogicTree(OR, (flt("a", Compare("eq", "1")), flt("b", Compare("eq", "2"))), True),
        ),
        ("actors.or", "(a.eq.1)", ("actors",), LogicTree(OR, (flt("a", Compare("eq", "1")),))),
        ("actors.not.and", "(a.eq.1)", ("actors",), LogicTree(AND, (flt("a", Compare("eq", "1")),), True)),
        (
            "not.actors.films.and",
            "(a.eq.1)",
            ("actors", "films"),
            LogicTree(AND, (flt("a", Compare("eq", "1")),), True),
        ),
        (
            "or",
            "(a.eq.1,not.and(b.eq.2,c.not.eq.3))",
            (),
            LogicTree(
                OR,
                (
                    flt("a", Compare("eq", "1")),
                    LogicTree(AND, (flt("b", Compare("eq", "2")), flt("c", Compare("eq", "3"), True)), True),
                ),
            ),
        ),
        # quoted values keep commas and parentheses; backslash escapes
        (
            "or",
            '(name.eq."a,b",name.eq."c)d",name.eq."e\\"f")',
            (),
            LogicTree(
                OR,
                (
                    flt("name", Compare("eq", "a,b")),
                    flt("name", Compare("eq", "c)d")),
                    flt("name", Compare("eq", 'e"f')),
                ),
            ),
        ),
        # a quote not followed by ',' or ')' is plain text
        (
            "or",
            '(name.eq."a"b,x.eq.1)',
            (),
            LogicTree(OR, (flt("name", Compare("eq", '"a"b')), flt("x", Compare("eq", "1")))),
        ),
        # PostgreSQL array literals keep their commas
        (
            "or",
            "(tags.cs.{a,b},tags.ov.{c})",
            (),
            LogicTree(
                OR,
                (
                    flt("tags", Compare("cs", "{a,b}")),
                    flt("tags", Compare("ov", "{c}")),
                ),
            ),
        ),
        (
            "or",
            '(id.in.(1,2),id.in.("a,b"),id.eq.3)',
            (),
            LogicTree(
                OR,
                (
                    flt("id", In(("1", "2"))),
                    flt("id", In(("a,b",))),
                    flt("id", Compare("eq", "3")),
                ),
            ),
        ),
        (
            "or",
            "(a.eq(any).{1,2},b.like(all).{x*})",
            (),
            LogicTree(
                OR,
                (
                    flt("a", Compare("eq", "{1,2}", Quantifier.ANY)),
                    flt("b", Compare("like", "{x*}", Quantifier.ALL)),
                ),
            ),
        ),
        (
            "or",
            "(text.fts(english).cat,text.plfts.dog,text.isdistinct.x)",
            (),
            LogicTree(
                OR,
                (
                    flt("text", FullTextSearch("fts", "cat", "english")),
                    flt("text", FullTextSearch("plfts", "dog")),
                    flt("text", IsDistinct("x")),
                ),
            ),
        ),
        (
            "or",
            "(data->>a.eq.1,data->0.is.null)",
            (),
            LogicTree(
                OR,
                (
                    flt("data", Compare("eq", "1"), False, key("a", "->>")),
                    flt("data", Is(IsValue.NULL), False, idx("+0")),
                ),
            ),
        ),
        # blanks: around fields and after separators they are skipped, inside raw values they stay
        (
            "or",
            "( a.eq.1 , b.eq. 2 )",
            (),
            LogicTree(OR, (flt("a", Compare("eq", "1 ")), flt("b", Compare("eq", " 2 ")))),
        ),
        ("or", "(a.eq.)", (), LogicTree(OR, (flt("a", Compare("eq", "")),))),
        # a column named like an operator
        (
            "or",
            "(or.eq.1,and.is.null)",
            (),
            LogicTree(OR, (flt("or", Compare("eq", "1")), flt("and", Is(IsValue.NULL)))),
        ),
        # PostgREST glues key and value: or=.eq.1 is a filter on a column named "or"
        ("or", ".eq.1", (), flt("or", Compare("eq", "1"))),
        ("or", "a.eq.1", (), flt("ora", Compare("eq", "1"))),
        # ...and pLogicTree has no eof
        ("or", "(a.eq.1)junk", (), LogicTree(OR, (flt("a", Compare("eq", "1")),))),
    ],
)
def test_logic_trees(name: str, value: str, path: tuple[str, ...], tree: object) -> None:
    assert parse_logic(name, value) == (path, tree)


@pytest.mark.parametrize(
    ("name", "value", "position", "details"),
    [
        # AndOrParamsSpec, and PostgREST's doctests for pLogicTree
        (
            "or",
            "()",
            "(line 1, column 4)",
            'unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)',
        ),
        ("or", "(id.in.1,2,id.eq.3)", "(line 1, column 10)", 'unexpected "1" expecting "("'),
        ("or", ")(", "(line 1, column 3)", 'unexpected ")" expecting "("'),
        ("and", "(ord(id.eq.1,id.eq.1),id.eq.2)", "(line 1, column 7)", 'unexpected "d" expecting "("'),
        (
            "or",
            "(id.eq.1,not.xor(id.eq.2,id.eq.3))",
            "(line 1, column 16)",
            'unexpected "x" expecting logic operator (and, or)',
        ),
    ],
)
def test_logic_errors_match_postgrest(name: str, value: str, position: str, details: str) -> None:
    error = error_of(parse_logic, name, value)
    assert error.message == f'"failed to parse logic tree ({value})" {position}'
    assert error.details == details


@pytest.mark.parametrize(
    "value",
    ["", "(", "(a.eq.1", "(a.eq.1,)", "(a.is.null )", "(a)", "(a.xx.1)", "(a.eq.1,or())", "(b.eq.1 ,"],
)
def test_logic_errors(value: str) -> None:
    error = error_of(parse_logic, "or", value)
    assert error.message.startswith(f'"failed to parse logic tree ({value})" (line 1, column ')


def test_logic_path_errors() -> None:
    error = error_of(parse_logic, "(.or", "(a.eq.1)")
    assert error.message.startswith('"failed to parse logic path ((.or)" (line 1, column 1)')


# ==============================================================================
# order
# ==============================================================================


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id", (OrderTerm(fld("id")),)),
        ("id.asc", (OrderTerm(fld("id"), ASC),)),
        ("id.desc", (OrderTerm(fld("id"), DESC),)),
        ("name.desc.nullsfirst", (OrderTerm(fld("name"), DESC, FIRST),)),
        ("id.asc.nullslast", (OrderTerm(fld("id"), ASC, LAST),)),
        ("id.nullslast", (OrderTerm(fld("id"), None, LAST),)),
        (
            "a,b.desc,c.asc.nullslast",
            (OrderTerm(fld("a")), OrderTerm(fld("b"), DESC), OrderTerm(fld("c"), ASC, LAST)),
        ),
        (" a , b", (OrderTerm(fld("a")), OrderTerm(fld("b")))),
        ("json_col->key.asc.nullslast", (OrderTerm(fld("json_col", key("key")), ASC, LAST),)),
        ("json_col->!@#$%^&*_a.asc.nullslast", (OrderTerm(fld("json_col", key("!@#$%^&*_a")), ASC, LAST),)),
        ("data->0.desc", (OrderTerm(fld("data", idx("+0")), DESC),)),
        ("data->>x", (OrderTerm(fld("data", key("x", "->>"))),)),
        (
            "clients(json_col->key).desc.nullsfirst",
            (OrderTerm(fld("json_col", key("key")), DESC, FIRST, "clients"),),
        ),
        (
            "name,clients(name),id",
            (OrderTerm(fld("name")), OrderTerm(fld("name"), relation="clients"), OrderTerm(fld("id"))),
        ),
        ("clients( name ).desc", (OrderTerm(fld("name"), DESC, relation="clients"),)),
        ('"a.b".desc', (OrderTerm(fld("a.b"), DESC),)),
    ],
)
def test_order(text: str, expected: tuple[OrderTerm, ...]) -> None:
    assert parse_order(text) == expected


@pytest.mark.parametrize(
    ("text", "position", "details"),
    [
        # PostgREST's doctests for pOrder, and QuerySpec
        (
            "clients(name,id)",
            "(line 1, column 8)",
            'unexpected \'(\' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input',
        ),
        (
            "id.ac",
            "(line 1, column 4)",
            'unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"',
        ),
        ("id.descc", "(line 1, column 8)", "unexpected 'c' expecting delimiter (.), \",\" or end of input"),
        (
            "id.nulsfist",
            "(line 1, column 4)",
            'unexpected "n" expecting "asc", "desc", "nullsfirst" or "nullslast"',
        ),
        ("id.nullslasttt", "(line 1, column 13)", "unexpected 't' expecting \",\" or end of input"),
        (
            "id.smth34",
            "(line 1, column 4)",
            'unexpected "s" expecting "asc", "desc", "nullsfirst" or "nullslast"',
        ),
        ("id.asc.nlsfst", "(line 1, column 8)", 'unexpected "l" expecting "nullsfirst" or "nullslast"'),
        ("id.asc.nullslasttt", "(line 1, column 17)", "unexpected 't' expecting \",\" or end of input"),
        ("id.asc.smth34", "(line 1, column 8)", 'unexpected "s" expecting "nullsfirst" or "nullslast"'),
    ],
)
def test_order_errors_match_postgrest(text: str, position: str, details: str) -> None:
    error = error_of(parse_order, text)
    assert error.message == f'"failed to parse order ({text})" {position}'
    assert error.details == details


@pytest.mark.parametrize(
    "text", ["", ",", "id,", "id.", "id.desc ", "id.desc.", "a b.x", "rel(a", "rel(a).up", "->a"]
)
def test_order_errors(text: str) -> None:
    error = error_of(parse_order, text)
    assert error.message.startswith(f'"failed to parse order ({text})" (line 1, column ')


# ==============================================================================
# columns and on_conflict
# ==============================================================================


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a", ("a",)),
        ("b,a,b", ("b", "a", "b")),
        ("a , b", ("a", "b")),
        ('"a,b",c', ("a,b", "c")),
        ("first name,名前", ("first name", "名前")),
        ("a,b)junk", ("a", "b")),  # pColumns has no eof
    ],
)
def test_columns(text: str, expected: tuple[str, ...]) -> None:
    assert parse_columns(text) == expected


def test_columns_in_query_are_a_sorted_set_and_on_conflict_a_list() -> None:
    params = parse_query("columns=b,a,b&on_conflict=name,id")
    assert params.columns == ("a", "b")
    assert params.on_conflict == ("name", "id")
    assert parse_query("").columns is None and parse_query("").on_conflict is None


def test_empty_columns_matches_postgrest() -> None:
    # InsertSpec
    error = error_of(parse_query, "columns=")
    assert error.message == '"failed to parse columns parameter ()" (line 1, column 1)'
    assert error.details == "unexpected end of input expecting field name (* or [a..z0..9_$])"


def test_on_conflict_errors_name_their_parameter() -> None:
    error = error_of(parse_query, "on_conflict=a,")
    assert error.message.startswith('"failed to parse on_conflict parameter (a,)" (line 1, column 3)')


# ==============================================================================
# the whole query string
# ==============================================================================


def test_defaults() -> None:
    params = parse_query("")
    assert params == QueryParams()
    assert params.select == (col("*"),)


def _filters(params: QueryParams) -> tuple[tuple[EmbedPath, Filter], ...]:
    """Every filter with its embed path, the root ones first."""
    return tuple(((), flt) for flt in params.filters_root) + params.filters_not_root


def test_reserved_and_embeddable_keys_are_routed() -> None:
    params = parse_query(
        "select=id,actors(name)&id=gt.1&actors.name=eq.x&order=id.desc&actors.order=name"
        "&limit=10&offset=20&actors.limit=2&or=(a.eq.1,b.eq.2)&actors.and=(c.is.null)&columns=id&on_conflict=id"
    )
    assert params.select == (col("id"), embed("actors", col("name")))
    assert params.filters_root == (flt("id", Compare("gt", "1")),)
    assert params.filters_not_root == ((("actors",), flt("name", Compare("eq", "x"))),)
    assert params.filter_fields == frozenset({"id", "actors.name"})
    assert params.order == (((), (OrderTerm(fld("id"), DESC),)), (("actors",), (OrderTerm(fld("name")),)))
    assert params.ranges == (((), LimitOffset("10", "20")), (("actors",), LimitOffset("2", None)))
    assert params.logic == (
        ((), LogicTree(OR, (flt("a", Compare("eq", "1")), flt("b", Compare("eq", "2"))))),
        (("actors",), LogicTree(AND, (flt("c", Is(IsValue.NULL)),))),
    )
    assert params.columns == ("id",) and params.on_conflict == ("id",)
    assert params.params == ()
    assert params.filters_at() == (flt("id", Compare("gt", "1")),)
    assert params.filters_at(("actors",)) == (flt("name", Compare("eq", "x")),)
    assert params.order_at(("actors",)) == (OrderTerm(fld("name")),)
    assert params.order_at(("none",)) == ()
    assert params.range_at() == LimitOffset("10", "20")
    assert params.range_at(("none",)) is None
    assert len(params.logic_at(("actors",))) == 1
    hash(params)


def test_only_the_exact_reserved_keys_are_reserved() -> None:
    params = parse_query("x.select=eq.1&columns.x=eq.2")
    assert _filters(params) == (
        (("x",), flt("select", Compare("eq", "1"))),
        (("columns",), flt("x", Compare("eq", "2"))),
    )
    assert params.select == (col("*"),)


def test_select_takes_the_first_occurrence_even_without_a_value() -> None:
    assert parse_query("select=a&select=b").select == (col("a"),)
    assert parse_query("select&select=b").select == (col("*"),)
    assert parse_query("select=").select == ()


def test_parameters_without_equals_sign_are_ignored() -> None:
    params = parse_query("id&order&limit")
    assert _filters(params) == () and params.order == () and params.ranges == ()
    assert params.canonical == "id=&limit=&order="


def test_first_order_per_path_wins_and_all_are_checked() -> None:
    assert parse_query("order=a&order=b").order == (((), (OrderTerm(fld("a")),)),)
    error_of(parse_query, "order=a&order=b.")


def test_limit_and_offset_stay_raw_and_pair_up_per_path() -> None:
    params = parse_query("limit=1&limit=2&offset=abc&films.offset=3&a.b.limit=0x10")
    assert params.ranges == (
        ((), LimitOffset("2", "abc")),
        (("a", "b"), LimitOffset("0x10", None)),
        (("films",), LimitOffset(None, "3")),
    )


def test_range_key_errors_show_the_renamed_key_like_postgrest() -> None:
    error = error_of(parse_query, "(.offset=1")
    assert error.message.startswith('"failed to parse tree path ((.limit)" (line 1, column 1)')


def test_rpc_read_keeps_non_operator_values_as_arguments() -> None:
    params = parse_query("a=1&b=eq.2&c.d=val&e=isdistinct&f=not_an_op.1", rpc_read=True)
    assert params.params == (("a", "1"), ("d", "val"), ("e", "isdistinct"), ("f", "not_an_op.1"))
    assert _filters(params) == (((), flt("b", Compare("eq", "2"))),)
    assert params.filter_fields == frozenset({"a", "b", "c.d", "e", "f"})


@pytest.mark.parametrize("value", ["not.sure", "in.(1", "is.maybe", "isdistinct", "x"])
def test_rpc_arguments_that_start_like_an_operator_are_errors(value: str) -> None:
    if value in ("isdistinct", "x"):
        assert parse_query(f"a={value}", rpc_read=True).params == (("a", value),)
    else:
        error_of(parse_query, f"a={value}", rpc_read=True)


def test_non_rpc_values_without_operator_are_errors() -> None:
    error = error_of(parse_query, "a=1")
    assert error.message == '"failed to parse filter (1)" (line 1, column 1)'
    assert error.details == 'unexpected "1" expecting "not" or operator (eq, gt, ...)'


def test_errors_are_reported_in_postgrests_order() -> None:
    bad = {
        "order": "order=x.",
        "logic": "or=(",
        "columns": "columns=",
        "select": "select=a(",
        "filter": "f=x",
        "on_conflict": "on_conflict=",
        "range": "(.limit=1",
    }
    expected = [
        "order",
        "logic tree",
        "columns parameter",
        "select parameter",
        "filter",
        "on_conflict parameter",
        "tree path",
    ]
    names = list(bad)
    for position, name in enumerate(names):
        query = "&".join(bad[n] for n in reversed(names[position:]))
        assert f"failed to parse {expected[position]} (" in error_of(parse_query, query).message


# -- decoding -------------------------------------------------------------------


def test_percent_decoding_and_plus() -> None:
    params = parse_query("name=eq.John+Doe&plus=eq.1%2B1&amp=eq.a%26b&sep=eq.%2C%28%29&bad=eq.%zz%4")
    values = [f.operation.value for _, f in _filters(params)]  # type: ignore[union-attr]
    assert values == ["John Doe", "1+1", "a&b", ",()", "%zz%4"]


def test_reserved_characters_percent_encoded_in_keys_and_select() -> None:
    params = parse_query("n%61me=eq.1&select=a%2Cb%28c%29&%22a.b%22.c=eq.2")
    assert params.select == (col("a"), embed("b", col("c")))
    assert _filters(params) == (((), flt("name", Compare("eq", "1"))), (("a.b",), flt("c", Compare("eq", "2"))))


def test_semicolon_separates_parameters_like_http_types() -> None:
    params = parse_query("a=eq.1;b=eq.2")
    assert [f.field.name for _, f in _filters(params)] == ["a", "b"]


def test_empty_items_and_trailing_separator() -> None:
    params = parse_query("&a=eq.1&&")
    assert [f.field.name for _, f in _filters(params)] == ["a"]
    assert params.canonical == "=,&a=eq.1"  # urlEncodeVars joins the two empty keys


def test_utf8_names_and_values() -> None:
    params = parse_query("%E5%90%8D%E5%89%8D=eq.%C3%A9&select=%E5%90%8D%E5%89%8D")
    assert _filters(params) == (((), flt("名前", Compare("eq", "é"))),)
    assert params.select == (col("名前"),)
    # bytes, and the Latin-1 str WSGI hands over for raw UTF-8 bytes
    assert _filters(parse_query("a=eq.é".encode())) == (((), flt("a", Compare("eq", "é"))),)
    assert _filters(parse_query("a=eq.é".encode().decode("latin-1"))) == (((), flt("a", Compare("eq", "é"))),)
    assert _filters(parse_query("a=eq.名")) == (((), flt("a", Compare("eq", "名"))),)


@pytest.mark.parametrize("query", ["a=eq.%FF", "%C3=eq.1", b"a=eq.\xff"])
def test_invalid_utf8_is_a_client_error(query: str | bytes) -> None:
    error = error_of(parse_query, query)
    assert "UTF-8" in error.message


def test_canonical_sorts_groups_and_encodes() -> None:
    assert parse_query("b=2&a=1&c=3&a=0", rpc_read=True).canonical == "a=1,0&b=2&c=3"
    assert parse_query("a=1&c=3&b=2&d", rpc_read=True).canonical == "a=1&b=2&c=3&d="  # PostgREST's doctest
    assert parse_query(["no_pk", "b=eq.1&a=eq.1"][1]).canonical == "a=eq.1&b=eq.1"
    assert parse_query("x=eq.a b*&y=in.(1,2)").canonical == "x=eq.a%20b%2A&y=in.%281%2C2%29"
    assert parse_query("x=%C3%A9~-_.", rpc_read=True).canonical == "x=%C3%A9~-_."


def test_params_are_hashable_values() -> None:
    one = parse_query("select=a,b(c)&id=in.(1,2)&or=(x.eq.1)&order=a.desc")
    two = parse_query("select=a,b(c)&id=in.(1,2)&or=(x.eq.1)&order=a.desc")
    assert one == two and hash(one) == hash(two)


# -- depth ----------------------------------------------------------------------


def test_nesting_is_capped_cleanly() -> None:
    ok = "a(" * MAX_DEPTH + "b" + ")" * MAX_DEPTH
    assert len(parse_select(ok)) == 1
    deep = "a(" * (MAX_DEPTH + 1) + "b" + ")" * (MAX_DEPTH + 1)
    error = error_of(parse_select, deep)
    assert error.details == f"nesting deeper than {MAX_DEPTH} levels is not supported"
    huge = "a(" * 100_000
    error_of(parse_select, huge)

    tree = "(" + "or(" * (MAX_DEPTH - 1) + "a.eq.1" + ")" * MAX_DEPTH
    assert parse_logic("or", tree)[0] == ()
    error = error_of(parse_logic, "or", "(" + "or(" * MAX_DEPTH + "a.eq.1" + ")" * (MAX_DEPTH + 1))
    assert "nesting deeper" in error.details
    error_of(parse_query, "or=(" + "and(" * 100_000)


# ==============================================================================
# the operator table
# ==============================================================================


def test_operator_table() -> None:
    assert [op.key for op in OPERATORS] == list(BY_KEY)
    assert QUANTIFIABLE == {"eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"}
    sql = {op.key: op.sql for op in OPERATORS}
    assert sql["eq"] == "=" and sql["neq"] == "<>" and sql["isdistinct"] == "IS DISTINCT FROM"
    assert sql["cs"] == "@>" and sql["cd"] == "<@" and sql["ov"] == "&&" and sql["adj"] == "-|-"
    assert sql["nxr"] == "&<" and sql["nxl"] == "&>" and sql["sl"] == "<<" and sql["sr"] == ">>"
    assert sql["fts"] == "@@ to_tsquery" and sql["wfts"] == "@@ websearch_to_tsquery"
    assert {op.key for op in OPERATORS if op.star_is_percent} == {"like", "ilike"}
    assert {op.key for op in OPERATORS if op.kind is OperatorKind.FTS} == {"fts", "plfts", "phfts", "wfts"}
    assert set(IS_KEYWORDS) == {value.value for value in IsValue}
    assert all(op.description for op in OPERATORS)


@pytest.mark.parametrize(
    "op", [op for op in OPERATORS if op.kind is OperatorKind.COMPARE], ids=lambda op: op.key
)
def test_every_comparison_operator_parses_with_and_without_not(op: object) -> None:
    key_ = op.key  # type: ignore[attr-defined]
    assert parse_filter("c", f"{key_}.v")[1] == flt("c", Compare(key_, "v"))
    assert parse_filter("c", f"not.{key_}.v")[1] == flt("c", Compare(key_, "v"), True)
    if key_ in QUANTIFIABLE:
        assert parse_filter("c", f"not.{key_}(all).v")[1] == flt(
            "c", Compare(key_, "v", Quantifier.ALL), True
        )
    else:
        error_of(parse_filter, "c", f"{key_}(any).v")


# ==============================================================================
# PostgREST's own expectations, from the conformance suite
# ==============================================================================


def _conformance_cases() -> list[tuple[str, str, bool, dict[str, object]]]:
    found = []
    for path in sorted(glob.glob("/work/shared/conformance/cases/*.json")):
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
        for case in spec["cases"]:
            body = ((case.get("expect") or {}).get("body") or {}).get("json")
            request = case.get("request") or {}
            if isinstance(body, dict) and body.get("code") == "PGRST100" and "?" in request.get("path", ""):
                target, query = request["path"].split("?", 1)
                rpc_read = target.startswith("/rpc/") and request.get("method") in ("GET", "HEAD")
                found.append((case["id"], query, rpc_read, body))
    return found


_CASES = _conformance_cases()


@pytest.mark.skipif(not _CASES, reason="conformance cases not available")
@pytest.mark.parametrize(("case_id", "query", "rpc_read", "body"), _CASES, ids=[c[0] for c in _CASES] or None)
def test_conformance_pgrst100(case_id: str, query: str, rpc_read: bool, body: dict[str, object]) -> None:
    error = error_of(parse_query, query, rpc_read=rpc_read)
    assert error.message == body["message"]
    assert error.details == body["details"]
    assert error.hint == body["hint"]
    assert json.loads(error.body()) == body


def test_conformance_cases_exist_here() -> None:
    if not os.path.isdir("/work/shared/conformance/cases"):
        pytest.skip("conformance cases not available")
    assert len(_CASES) >= 4
