-- Computed relationships: functions of one argument of a relation's row type
-- that return a relation's row type, from any schema, between relations of
-- the exposed schemas.  Parameter: schemas (text[]).
-- PostgREST's allComputedRels: the embed is to-one when the function returns
-- a single row or is declared ROWS 1.
SELECT
  pn.nspname AS schema,
  p.proname AS name,
  an.nspname AS table_schema,
  ac.relname AS table_name,
  rn.nspname AS foreign_table_schema,
  rc.relname AS foreign_table_name,
  NOT p.proretset OR p.prorows = 1 AS to_one
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
JOIN pg_catalog.pg_type at ON at.oid = p.proargtypes[0] AND at.typtype = 'c'
JOIN pg_catalog.pg_class ac ON ac.oid = at.typrelid AND ac.relkind IN ('r', 'v', 'm', 'f', 'p')
JOIN pg_catalog.pg_namespace an ON an.oid = ac.relnamespace
JOIN pg_catalog.pg_type rt ON rt.oid = p.prorettype AND rt.typtype = 'c'
JOIN pg_catalog.pg_class rc ON rc.oid = rt.typrelid AND rc.relkind IN ('r', 'v', 'm', 'f', 'p')
JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE p.pronargs = 1
  AND an.nspname = ANY (%(schemas)s)
  AND rn.nspname = ANY (%(schemas)s)
ORDER BY 1, 2, 3, 4
