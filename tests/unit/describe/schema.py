"""A hand-made schema cache for the description tests: every kind of relationship and some awkward names."""

from __future__ import annotations

from pgrestd.catalog import Catalog, Column, ForeignKey, Function, FunctionArg, Table
from pgrestd.catalog.relationships import ComputedRelationshipRow, derive_relationships, index_relationships
from pgrestd.describe import Subject
from pgrestd.openapi import Access, Server
from pgrestd.request.api import Target


def col(name: str, type_: str, *, nullable: bool = True, default: str | None = None, description: str | None = None,
        enum: tuple[str, ...] = (), max_length: int | None = None, generated: bool = False) -> Column:
    return Column(name=name, type=type_, nullable=nullable, default=default, description=description,
                  enum_values=enum, max_length=max_length, base_type=type_, generated=generated)


def table(name: str, columns: tuple[Column, ...], *, pk: tuple[str, ...] = (), kind: str = "r",
          description: str | None = None, writable: bool = True, unique: tuple[tuple[str, ...], ...] = ()) -> Table:
    return Table(schema="api", name=name, kind=kind, description=description, columns=columns, primary_key=pk,
                 insertable=writable, updatable=writable, deletable=writable,
                 column_index={c.name: c for c in columns}, unique_keys=(pk, *unique) if pk else unique)


DIRECTORS = table("directors", (
    col("id", "integer", nullable=False, default="nextval('api.directors_id_seq'::regclass)"),
    col("name", "text", nullable=False, description="Full name"),
    col("code", "text"),
), pk=("id",), unique=(("code",),), description="Film directors.")
FILMS = table("films", (
    col("id", "bigint", nullable=False),
    col("title", "character varying(80)", max_length=80, default="'untitled'::character varying",
        description='The "title"\nsecond line'),
    col("director_id", "integer"),
    col("rated", "api.rating", enum=("G", "PG")),
    col("genres", "text[]"),
    col("extra", "jsonb"),
    col("select", "text"),
    col("slug", "text", generated=True),
), pk=("id",), description="Feature films\n\nOne row per film.")
ACTORS = table("actors", (col("id", "integer", nullable=False), col("name", "text")), pk=("id",))
ROLES = table("roles", (col("film_id", "bigint", nullable=False), col("actor_id", "integer", nullable=False)),
              pk=("film_id", "actor_id"))
DETAILS = table("film details", (col("film_id", "bigint", nullable=False), col("pk", "text"),
                                 col("1st cut", "interval")), pk=("film_id",))
STRING = table("string", (col("on", "boolean"),), writable=False)  # a RAML built-in type's name
SUMMARIES = table("summaries", (col("id", "bigint"), col("director_id", "integer")), kind="v", writable=False)

TABLES = (DIRECTORS, FILMS, ACTORS, ROLES, DETAILS, STRING, SUMMARIES)
FOREIGN_KEYS = (
    ForeignKey("films_director_id_fkey", ("api", "films"), ("director_id",), ("api", "directors"), ("id",)),
    ForeignKey("roles_film_id_fkey", ("api", "roles"), ("film_id",), ("api", "films"), ("id",)),
    ForeignKey("roles_actor_id_fkey", ("api", "roles"), ("actor_id",), ("api", "actors"), ("id",)),
    ForeignKey("details_film_id_fkey", ("api", "film details"), ("film_id",), ("api", "films"), ("id",),
               one_to_one=True),
)


def fn(name: str, args: tuple[FunctionArg, ...] = (), *, volatility: str = "s",
       description: str | None = None) -> Function:
    return Function(schema="api", name=name, args=args, return_type="integer", return_type_schema="pg_catalog",
                    returns_set=False, return_kind="b", volatility=volatility, description=description)


ADD = fn("add", (FunctionArg("a", "integer", "i", False), FunctionArg("b", "integer", "i", True),
                 FunctionArg("sum", "integer", "o", False)), description="Adds.\nTwo integers.")
RESET = fn("reset", volatility="v")
TAGS = fn("tags", (FunctionArg("v", "text[]", "v", True, variadic=True),), volatility="i")
CAST = fn("cast_of", (FunctionArg("", "api.films", "i", False),))  # a computed relationship films -> actors

_TABLE_MAP = {t.qualified_name: t for t in TABLES}
_RELATIONSHIPS = derive_relationships(
    FOREIGN_KEYS, (), _TABLE_MAP,
    (ComputedRelationshipRow(("api", "cast_of"), ("api", "films"), ("api", "actors"), to_one=False),), ("api",))
_BY_ORIGIN, _BY_SCHEMA = index_relationships(_RELATIONSHIPS)

CATALOG = Catalog(
    schemas=("api",),
    tables=_TABLE_MAP,
    foreign_keys=FOREIGN_KEYS,
    functions={("api", f.name): (f,) for f in (ADD, RESET, TAGS, CAST)},
    server_version=150000,
    relationship_index=_BY_ORIGIN,
    relationship_schema_index=_BY_SCHEMA,
)

SERVER = Server("http", "0.0.0.0", 3000, "/")
ROOT = Target("root", "")
EVERYTHING = Access("Film API\nEverything about films.", frozenset(), ())


def subject(target: Target = ROOT, *, access: Access = EVERYTHING, follow: bool = False,
            security: bool = False, server: Server = SERVER) -> Subject:
    return Subject(CATALOG, "api", target, access, follow, server, security)
