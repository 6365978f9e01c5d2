"""Property tests for pgrestd.request.grammar: round trips, fast/reference agreement, robustness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote as url_quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgrestd.errors import QueryParamError
from pgrestd.request import grammar as g
from pgrestd.request.grammar import fast as fastp
from pgrestd.request.grammar import reference as ref
from pgrestd.request.model import (
    AggregateFunction,
    Compare,
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
    QueryParams,
    SelectEmbed,
    SelectField,
)
from pgrestd.request.operators import OPERATORS, OperatorKind

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- rendering a model back to PostgREST's syntax --------------------------------


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


plain_names = st.from_regex(r"[a-z_$][a-z0-9_$]{0,6}( [a-z0-9]{1,3})?(-[a-z0-9_]{1,3})?", fullmatch=True)
unicode_names = st.text(st.characters(categories=("Lu", "Ll", "Lo")), min_size=1, max_size=6)
quoted_names = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)


@st.composite
def names(draw: st.DrawFn) -> tuple[str, str]:
    """(value, rendering)."""
    kind = draw(st.sampled_from(["plain", "unicode", "quoted"]))
    if kind == "quoted":
        value = draw(quoted_names)
        return value, quote(value)
    value = draw(plain_names if kind == "plain" else unicode_names)
    return value, value


@st.composite
def json_paths(draw: st.DrawFn, end_with_key: bool) -> tuple[tuple[JsonOperation, ...], str]:
    ops, text = [], ""
    for _ in range(draw(st.integers(0, 3))):
        arrow = draw(st.sampled_from(list(JsonArrow)))
        kind = draw(st.sampled_from(["key", "quoted", "index"]))
        if kind == "index":
            number = draw(st.integers(-50, 50))
            operand: JsonKey | JsonIndex = JsonIndex(str(number) if number < 0 else f"+{number}")
            rendered = str(number)
        elif kind == "quoted":
            value = draw(quoted_names)
            operand, rendered = JsonKey(value), quote(value)
        else:
            value = draw(st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True))
            operand, rendered = JsonKey(value), value
        ops.append(JsonOperation(arrow, operand))
        text += arrow.value + rendered
    if end_with_key and ops and isinstance(ops[-1].operand, JsonIndex):
        # before ')' PostgREST reads a trailing index as a key (its pEnd has no ')')
        ops.append(JsonOperation(JsonArrow.ARROW, JsonKey("k")))
        text += "->k"
    return tuple(ops), text


@st.composite
def fields(draw: st.DrawFn, end_with_key: bool = False) -> tuple[Field, str]:
    name, text = draw(names())
    path, path_text = draw(json_paths(end_with_key))
    return Field(name, path), text + path_text


casts = st.one_of(st.none(), st.from_regex(r"[a-z_][a-z0-9_]{0,6}( precision)?", fullmatch=True))


@st.composite
def select_fields(draw: st.DrawFn) -> tuple[SelectField, str]:
    kind = draw(st.sampled_from(["star", "count", "field", "field"]))
    if kind == "star":
        return SelectField(Field("*")), "*"
    alias = draw(st.one_of(st.none(), names()))
    prefix = "" if alias is None else alias[1] + ":"
    alias_value = None if alias is None else alias[0]
    aggregate_cast = draw(casts)
    suffix = "" if aggregate_cast is None else "::" + aggregate_cast
    if kind == "count":
        return SelectField(
            Field("*"), alias_value, None, AggregateFunction.COUNT, aggregate_cast
        ), prefix + "count()" + suffix
    # an index right before ')' would read as a key (PostgREST's pEnd has no ')')
    field, text = draw(fields(end_with_key=True))
    cast = draw(casts)
    aggregate = draw(st.one_of(st.none(), st.sampled_from(list(AggregateFunction))))
    if aggregate is None and cast is None:
        aggregate_cast, suffix = None, ""  # a lone `::x` is the cast
    text = (
        prefix
        + text
        + ("" if cast is None else "::" + cast)
        + ("" if aggregate is None else f".{aggregate.value}()")
    )
    return SelectField(field, alias_value, cast, aggregate, aggregate_cast), text + suffix


# an unquoted hint starting with "left" or "inner" is a join type followed by garbage
hint_names = names().filter(lambda n: not n[1].startswith(("left", "inner")))


@st.composite
def select_embeds(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> tuple[SelectEmbed, str]:
    name, name_text = draw(names().filter(lambda n: n[0] != "count"))
    spread = draw(st.booleans())
    alias = None if spread else draw(st.one_of(st.none(), names()))
    params: list[tuple[str, Any, str]] = []
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.booleans()):
            join = draw(st.sampled_from(list(JoinType)))
            params.append(("join", join, "!" + join.value))
        else:
            hint, hint_text = draw(hint_names)
            params.append(("hint", hint, "!" + hint_text))
    hint = next((v for k, v, _ in params if k == "hint"), None)
    join_type = next((v for k, v, _ in params if k == "join"), None)
    items = draw(st.lists(children, max_size=3))
    text = ("..." if spread else "") + ("" if alias is None else alias[1] + ":") + name_text
    text += "".join(t for _, _, t in params) + "(" + ",".join(t for _, t in items) + ")"
    embed = SelectEmbed(
        name, tuple(m for m, _ in items), None if alias is None else alias[0], hint, join_type, spread
    )
    return embed, text


select_items = st.recursive(select_fields(), lambda inner: select_embeds(inner), max_leaves=12)


@st.composite
def operations(draw: st.DrawFn, in_logic: bool) -> tuple[Operation, str]:
    op = draw(st.sampled_from(OPERATORS))
    any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=10)

    def value() -> tuple[str, str]:
        text = draw(any_text)
        return text, (quote(text) if in_logic else text)

    if op.kind is OperatorKind.IN:
        items = draw(st.lists(any_text, min_size=1, max_size=4))
        return In(tuple(items)), "in.(" + ",".join(quote(i) for i in items) + ")"
    if op.kind is OperatorKind.IS:
        is_value = draw(st.sampled_from(list(IsValue)))
        cased = "".join(c.upper() if draw(st.booleans()) else c for c in is_value.value)
        return Is(is_value), "is." + cased
    v, rendered = value()
    if op.kind is OperatorKind.IS_DISTINCT:
        return IsDistinct(v), "isdistinct." + rendered
    if op.kind is OperatorKind.FTS:
        language = draw(st.one_of(st.none(), st.from_regex(r"[a-z]{1,8}", fullmatch=True)))
        lang_text = "" if language is None else f"({language})"
        return FullTextSearch(op.key, v, language), f"{op.key}{lang_text}.{rendered}"
    quantifier = draw(st.one_of(st.none(), st.sampled_from(list(Quantifier)))) if op.quantifiable else None
    quant_text = "" if quantifier is None else f"({quantifier.value})"
    return Compare(op.key, v, quantifier), f"{op.key}{quant_text}.{rendered}"


@st.composite
def filters(draw: st.DrawFn, in_logic: bool = False) -> tuple[Filter, str, str]:
    """(filter, key rendering, value rendering)."""
    field, field_text = draw(fields())
    operation, op_text = draw(operations(in_logic))
    negated = draw(st.booleans())
    return Filter(field, operation, negated), field_text, ("not." if negated else "") + op_text


@st.composite
def logic_nodes(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> tuple[LogicTree, str]:
    operator = draw(st.sampled_from(list(LogicOperator)))
    negated = draw(st.booleans())
    items = draw(st.lists(children, min_size=1, max_size=3))
    text = ("not." if negated else "") + operator.value + "(" + ",".join(t for _, t in items) + ")"
    return LogicTree(operator, tuple(m for m, _ in items), negated), text


logic_leaves = filters(in_logic=True).map(lambda f: (f[0], f[1] + "." + f[2]))
logic_trees = st.recursive(logic_leaves, lambda inner: logic_nodes(inner), max_leaves=10).filter(
    lambda node: isinstance(node[0], LogicTree)
)


@st.composite
def order_terms(draw: st.DrawFn) -> tuple[OrderTerm, str]:
    direction = draw(st.one_of(st.none(), st.sampled_from(list(OrderDirection))))
    nulls = draw(st.one_of(st.none(), st.sampled_from(list(OrderNulls))))
    modifiers = ("" if direction is None else "." + direction.value) + (
        "" if nulls is None else "." + nulls.value
    )
    if draw(st.booleans()):
        relation, relation_text = draw(names())
        field, text = draw(fields(end_with_key=True))
        return OrderTerm(field, direction, nulls, relation), f"{relation_text}({text}){modifiers}"
    field, text = draw(fields())
    return OrderTerm(field, direction, nulls), text + modifiers


@st.composite
def embed_paths(draw: st.DrawFn) -> tuple[tuple[str, ...], str]:
    parts = draw(st.lists(names(), max_size=2))
    return tuple(v for v, _ in parts), "".join(t + "." for _, t in parts)


# -- round trips ----------------------------------------------------------------


def fast(parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text)
    except fastp.Fail:
        return fastp.Fail


@SETTINGS
@given(st.lists(select_items, max_size=5))
def test_generated_select_round_trips(items: list[tuple[Any, str]]) -> None:
    text = ",".join(t for _, t in items)
    expected = tuple(m for m, _ in items)
    assert g.parse_select(text) == expected
    assert ref.parse(ref.select, text, "select parameter") == expected
    assert fast(fastp.select, text) == expected, "well-formed input should not need the reference parser"


@SETTINGS
@given(embed_paths(), filters())
def test_generated_filters_round_trip(
    path: tuple[tuple[str, ...], str], item: tuple[Filter, str, str]
) -> None:
    flt, key, value = item
    assert g.parse_filter(path[1] + key, value) == (path[0], flt)
    assert fast(fastp.tree_path, path[1] + key) == (path[0], flt.field)
    assert fast(fastp.filter_value, value) == (flt.negated, flt.operation)
    assert ref.parse(ref.filter_value, value, "filter") == (flt.negated, flt.operation)


@SETTINGS
@given(embed_paths(), logic_trees)
def test_generated_logic_trees_round_trip(
    path: tuple[tuple[str, ...], str], tree: tuple[LogicTree, str]
) -> None:
    node, text = tree
    head, _, rest = text.partition("(")
    key = path[1] + head
    value = "(" + rest
    assert g.parse_logic(key, value) == (path[0], node)
    assert fast(fastp.logic_tree, text) == node
    assert ref.parse(ref.logic_tree, text, "logic tree") == node


@SETTINGS
@given(st.lists(order_terms(), min_size=1, max_size=4))
def test_generated_orders_round_trip(terms: list[tuple[OrderTerm, str]]) -> None:
    text = ",".join(t for _, t in terms)
    expected = tuple(m for m, _ in terms)
    assert g.parse_order(text) == expected
    assert fast(fastp.order, text) == expected
    assert ref.parse(ref.order, text, "order") == expected


@SETTINGS
@given(st.lists(names(), min_size=1, max_size=4))
def test_generated_columns_round_trip(items: list[tuple[str, str]]) -> None:
    text = ",".join(t for _, t in items)
    assert g.parse_columns(text) == tuple(v for v, _ in items)


@SETTINGS
@given(
    st.lists(select_items, max_size=3), st.lists(filters(), max_size=3), st.lists(order_terms(), max_size=2)
)
def test_generated_query_strings_round_trip(
    select: list[tuple[Any, str]], flts: list[tuple[Filter, str, str]], order: list[tuple[OrderTerm, str]]
) -> None:
    parts = ["select=" + url_quote(",".join(t for _, t in select), safe="")]
    for _, key, value in flts:
        parts.append(url_quote(key, safe="") + "=" + url_quote(value, safe=""))
    if order:
        parts.append("order=" + url_quote(",".join(t for _, t in order), safe=""))
    params = g.parse_query("&".join(parts).encode())
    assert params.select == tuple(m for m, _ in select)
    assert params.filters_root == tuple(flt for flt, _, _ in flts) and params.filters_not_root == ()
    assert params.order == ((((), tuple(m for m, _ in order)),) if order else ())


# -- the fast parser never disagrees with the reference --------------------------

GRAMMAR_ALPHABET = 'abcdeilnoqrstu_$ 0123456789-!>:.,()*"\\{}\t\n\x00é名'
grammar_text = st.text(st.sampled_from(GRAMMAR_ALPHABET), max_size=40)


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    text = draw(valid)
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(GRAMMAR_ALPHABET))
        if action == "insert":
            text = text[:position] + char + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + char + text[position + 1 :]
    return text


select_texts = st.lists(select_items, min_size=1, max_size=3).map(lambda items: ",".join(t for _, t in items))
order_texts = st.lists(order_terms(), min_size=1, max_size=3).map(lambda terms: ",".join(t for _, t in terms))
logic_texts = logic_trees.map(lambda tree: tree[1])
filter_values = filters().map(lambda item: item[2])

KINDS: dict[str, tuple[Callable[[str], Any], Any, st.SearchStrategy[str]]] = {
    "select": (fastp.select, ref.select, select_texts),
    "order": (fastp.order, ref.order, order_texts),
    "logic": (fastp.logic_tree, ref.logic_tree, logic_texts),
    "filter": (fastp.filter_value, ref.filter_value, filter_values),
    "tree path": (fastp.tree_path, ref.tree_path, fields().map(lambda f: f[1])),
    "logic path": (fastp.logic_path, ref.logic_path, embed_paths().map(lambda p: p[1] + "or")),
    "columns": (
        fastp.columns,
        ref.columns,
        st.lists(names(), min_size=1).map(lambda ns: ",".join(t for _, t in ns)),
    ),
}


def check_agreement(kind: str, text: str) -> None:
    fast_parse, reference, _ = KINDS[kind]
    result = fast(fast_parse, text)
    if result is fastp.Fail:
        return
    try:
        expected = ref.parse(reference, text, kind)
    except QueryParamError as exc:  # pragma: no cover - a failure report
        raise AssertionError(
            f"fast parser accepted {text!r} as {result!r}; PostgREST rejects it: {exc.details}"
        )
    if kind == "columns":
        expected = list(expected)
    assert result == expected, text


@SETTINGS
@given(st.sampled_from(sorted(KINDS)), st.data())
def test_fast_parser_agrees_with_reference_on_mutations(kind: str, data: st.DataObject) -> None:
    check_agreement(kind, data.draw(mutated(KINDS[kind][2])))


@SETTINGS
@given(st.sampled_from(sorted(KINDS)), grammar_text)
def test_fast_parser_agrees_with_reference_on_noise(kind: str, text: str) -> None:
    check_agreement(kind, text)


@SETTINGS
@given(st.one_of(grammar_text, mutated(filter_values), st.text(max_size=20)))
def test_rpc_arguments_are_decided_like_postgrest(value: str) -> None:
    def outcome(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except QueryParamError as exc:
            return ("error", exc.message, exc.details)

    ours = outcome(lambda: g._filter_value(value, True))
    theirs = outcome(lambda: ref.parse(ref.filter_value_rpc, value, "filter"))
    assert ours == theirs


# -- robustness: anything either parses or is a PGRST100 -------------------------

query_noise = st.text(
    st.sampled_from(GRAMMAR_ALPHABET + "&=;%+2Fselectorderlimitoffsetcolumns_onconflict"), max_size=80
)


def parses_or_pgrst100(query: str | bytes, rpc_read: bool = False) -> None:
    try:
        result = g.parse_query(query, rpc_read=rpc_read)
    except QueryParamError as exc:
        assert exc.code == "PGRST100" and exc.status == 400
        assert isinstance(exc.message, str) and isinstance(exc.details, str)
        exc.body()
    else:
        assert isinstance(result, QueryParams)
        hash(result)


@SETTINGS
@given(st.one_of(query_noise, st.text(), st.binary()), st.booleans())
def test_arbitrary_query_strings_parse_or_fail_cleanly(query: str | bytes, rpc_read: bool) -> None:
    parses_or_pgrst100(query, rpc_read)


@SETTINGS
@given(
    st.sampled_from(["select=", "order=", "or=", "x=", "x=in.", "columns=", "on_conflict=", "a.b.c.or="]),
    st.sampled_from(["a(", "or(", "(", ",", '"', "\\", "a->", "not.", "%00", ";", "'", "a.eq.1,", "x!", "{"]),
    st.integers(1, 3000),
    st.sampled_from(["", ")", "x", "%"]),
)
def test_huge_and_deeply_nested_input_fails_cleanly(prefix: str, unit: str, count: int, tail: str) -> None:
    parses_or_pgrst100(prefix + unit * count + tail)


def test_very_long_input() -> None:
    value = "x" * 200_000
    params = g.parse_query(f"a=eq.{value}&b=in.({','.join(['1'] * 20_000)})&select={'a,' * 5_000}b")
    assert params.filters_root[0].operation == Compare("eq", value)
    assert len(params.select) == 5_001
    # malformed input goes through the reference parser: slower, still linear; Gunicorn caps the request line
    parses_or_pgrst100("select=" + "a," * 2_000 + "!")
    parses_or_pgrst100("or=(" + "a.eq.1," * 2_000 + ")")
