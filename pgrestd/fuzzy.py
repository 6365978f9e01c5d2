"""Fuzzy string matching for the "Perhaps you meant" hints: a port of Haskell's Data.FuzzySet.

PostgREST's ``Error.hs`` suggests a close name with the fuzzyset package
(``Data.FuzzySet``) in its default configuration: n-grams of sizes 3 down
to 2 and re-scoring by Levenshtein distance.  Looking ``query`` up in a set
of candidates works like this (``getWithMinScore``):

* Candidates are keyed by their lowercase form; the first one added wins a
  key.  A query whose lowercase form is a key is an exact match: it is the
  only result, with a score of 1.
* Otherwise, for gram size 3 and then 2, each candidate sharing a gram with
  the query gets the cosine of the two gram-count vectors (grams of the
  lowercase text with everything but letters, digits, spaces and commas
  removed, padded with ``-`` on both sides).  The 50 best are re-scored by
  normalized Levenshtein similarity of the lowercase texts (text-metrics'
  ``levenshteinNorm``) and those scoring at least ``min_score`` are the
  result, best first.  The first gram size with a result wins.

:func:`matches` returns that list, :func:`closest` its first entry
(``getOneWithMinScore``).  ``Fuzzy.get`` and ``Fuzzy.getOne`` use a minimum
score of 0.33 (:data:`DEFAULT_MIN_SCORE`); PostgREST asks for 0.75 when it
suggests a table or function name (:data:`NAME_HINT_MIN_SCORE`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["DEFAULT_MIN_SCORE", "NAME_HINT_MIN_SCORE", "closest", "matches"]

# Data.FuzzySet's get / getOne.
DEFAULT_MIN_SCORE = 0.33
# Error.getFuzzyHint's minScore for table (PGRST205) and function (PGRST202) names.
NAME_HINT_MIN_SCORE = 0.75

# Data.FuzzySet's defaultSet: gramSizeLower 2, gramSizeUpper 3, tried largest first.
_GRAM_SIZES = (3, 2)
# Candidates re-scored by Levenshtein similarity after the cosine ranking.
_RESCORED = 50


def closest(candidates: Iterable[str], query: str, min_score: float = DEFAULT_MIN_SCORE) -> str | None:
    """The best candidate scoring at least ``min_score``, or None (``getOneWithMinScore``)."""
    found = matches(candidates, query, min_score)
    return found[0][1] if found else None


def matches(candidates: Iterable[str], query: str,
            min_score: float = DEFAULT_MIN_SCORE) -> list[tuple[float, str]]:
    """(score, candidate) pairs scoring at least ``min_score``, best first (``getWithMinScore``).

    An exact (case-insensitive) match is the only pair, with score 1.0; ties
    keep the candidates' order.
    """
    exact: dict[str, str] = {}
    for candidate in candidates:
        exact.setdefault(candidate.lower(), candidate)
    key = query.lower()
    if key in exact:
        return [(1.0, exact[key])]
    for size in _GRAM_SIZES:
        wanted = _gram_counts(key, size)
        if not wanted:
            continue
        wanted_norm = _norm(wanted)
        cosine: list[tuple[float, str]] = []
        for entry in exact:
            grams = _gram_counts(entry, size)
            dot = sum(count * grams.get(gram, 0) for gram, count in wanted.items())
            if dot:
                cosine.append((dot / (wanted_norm * _norm(grams)), entry))
        cosine.sort(key=lambda pair: -pair[0])
        rescored = [(_levenshtein_similarity(key, entry), entry) for _, entry in cosine[:_RESCORED]]
        rescored.sort(key=lambda pair: -pair[0])
        found = [(score, exact[entry]) for score, entry in rescored if score >= min_score]
        if found:
            return found
    return []


def _gram_counts(text: str, size: int) -> dict[str, int]:
    """Data.FuzzySet's gramVector: how often each ``size``-gram occurs in the normalized, padded text."""
    padded = "-" + "".join(c for c in text.lower() if c.isalnum() or c.isspace() or c == ",") + "-"
    counts: dict[str, int] = {}
    for i in range(len(padded) - size + 1):
        gram = padded[i:i + size]
        counts[gram] = counts.get(gram, 0) + 1
    return counts


def _norm(counts: dict[str, int]) -> float:
    return math.sqrt(sum(c * c for c in counts.values()))


def _levenshtein_similarity(a: str, b: str) -> float:
    """text-metrics' levenshteinNorm: 1 - distance / length of the longer text."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1.0 - previous[-1] / longest
