"""What the descriptions say of filters: the value's pattern and the operator table, derived from the operators."""

from __future__ import annotations

from ..catalog import Column
from ..request.operators import OPERATORS, OperatorKind

__all__ = ["FILTER_HINT", "FILTER_PATTERN", "LOGIC_PATTERN", "OPERATORS_DOC", "RESERVED_PARAMS", "filter_doc",
           "logic_doc"]

# Query parameters PostgREST reads as its own, never as a filter (QueryParams.hs): a
# column of that name cannot be filtered with ?name=..., so it gets no filter parameter.
RESERVED_PARAMS = frozenset(("select", "columns", "on_conflict", "order", "limit", "offset", "or", "and"))


def _keys(*kinds: OperatorKind, quantifiable: bool | None = None) -> str:
    return "|".join(op.key for op in OPERATORS
                    if op.kind in kinds and (quantifiable is None or op.quantifiable is quantifiable))


_C, _D = OperatorKind.COMPARE, OperatorKind.IS_DISTINCT
# A filter's value (pOpExpr): [not.]operator[(any|all) or (language)].value, in.(list), is.keyword.
FILTER_PATTERN = (
    rf"^(not\.)?(({_keys(_C, quantifiable=True)})(\((any|all)\))?\."
    rf"|({_keys(_C, _D, quantifiable=False)})\."
    rf"|({_keys(OperatorKind.IN)})\.\(.*\)$"
    rf"|({_keys(OperatorKind.IS)})\.[A-Za-z_]+$"
    rf"|({_keys(OperatorKind.FTS)})(\([^)]*\))?\.)"
)
LOGIC_PATTERN = r"^\(.*\)$"

# The filter type's description: once per document, shared by every column's filter.
OPERATORS_DOC = "\n".join([
    ("Filter: `<operator>.<value>`, or `not.<operator>.<value>`; repeat the parameter to combine filters. "
     f"{', '.join(op.key for op in OPERATORS if op.quantifiable)} also take a list with `(any)` or `(all)`: "
     "`eq(any).{a,b}`; the full-text operators take a language: `fts(english).cat`."),
    "",
    *(f"- `{op.key}`: {op.description}" for op in OPERATORS),
])


# Each column filter's own line: the operators by name (the filter type has their meanings).
FILTER_HINT = ("`<operator>.<value>` or `not.<operator>.<value>`, the operator one of "
               + ", ".join(op.key for op in OPERATORS) + ".")


def filter_doc(column: Column) -> str:
    """A column filter's description: the column's comment (the 2.0 rowFilter parameter's), then the operators."""
    return FILTER_HINT if column.description is None else column.description + "\n\n" + FILTER_HINT


def logic_doc(word: str) -> str:
    """``or`` and ``and``: a tree of filters (PostgREST's logic trees)."""
    which = "any" if word == "or" else "all"
    return (f"Rows matching {which} of the conditions, as a tree: "
            "`(column.<operator>.<value>,and(...),not.or(...))`.")
