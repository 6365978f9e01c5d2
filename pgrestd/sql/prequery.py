"""The per-request settings batch: role, claims, headers and app settings in one SELECT."""

from __future__ import annotations

from dataclasses import dataclass

from .fragments import ident, literal_text, qualified

__all__ = ["SettingsStatement", "settings_statement"]

_EXTRA = ", pg_catalog.set_config(%s, %s, true)"
# A read-only request's transaction is made read-only by its own settings
# statement, so it needs no BEGIN READ ONLY (see execute.Executor).
_READ_ONLY = "pg_catalog.set_config('transaction_read_only', 'on', true), "


@dataclass(frozen=True, slots=True)
class SettingsStatement:
    """Fixed SQL text for a configuration; only the parameters change per request."""

    sql: str
    read_only_sql: str
    app_values: tuple[str, ...]
    pre_request_sql: str | None

    def with_settings(self, count: int, *, read_only: bool) -> str:
        """The batch followed by ``count`` more settings, each a (name, value) pair of parameters.

        For what a request adds to its transaction: the preferred time zone
        (an invalid one is PostgreSQL's 22023) and a function's hoisted SET clauses.
        """
        return (self.read_only_sql if read_only else self.sql) + _EXTRA * count

    def params(
        self,
        search_path: str,
        role: str,
        claims: str,
        method: str,
        path: str,
        headers: str,
        cookies: str,
    ) -> tuple[str, ...]:
        return (search_path, role, claims, method, path, headers, cookies) + self.app_values


def settings_statement(app_settings: dict[str, str], pre_request: str | None) -> SettingsStatement:
    """Every GUC PostgREST sets stays set: functions and RLS policies read them.

    ``app.settings.*`` names come from the configuration file, not from a
    request, so they may appear in the text; their values are parameters.
    """
    names = [
        "search_path", "role", "request.jwt.claims", "request.method",
        "request.path", "request.headers", "request.cookies",
    ]
    names += ["app.settings." + key for key in app_settings]
    calls = ", ".join(f"pg_catalog.set_config({literal_text(n)}, %s, true)" for n in names)
    pre_sql = None
    if pre_request:
        # An unqualified name is found through the search_path, as PostgREST calls it.
        schema, _, fn = pre_request.rpartition(".")
        pre_sql = "SELECT " + (qualified(schema, fn) if schema else ident(fn)) + "()"
    return SettingsStatement("SELECT " + calls, "SELECT " + _READ_ONLY + calls, tuple(app_settings.values()), pre_sql)
