-- The per-request part of the OpenAPI document (PostgREST's
-- schemaDescription, accessibleTables and accessibleFuncs in
-- SchemaCache.hs).  It runs in the request's transaction, as the request's
-- role and with its search_path: privileges are the role's, and argument
-- types are named as seen from the schema (regtype output).
-- Parameters: schema (text), follow (boolean: openapi-mode follow-privileges;
-- when false only the description is read).
-- Columns: page_total (unused), body (JSON text):
--   {"description": text|null, "tables": [name], "functions": [[name, volatility,
--    description, [[arg name, arg type, has default, variadic]]]]}
WITH args (schema, follow) AS (SELECT %s::text, %s::boolean)
SELECT 0::bigint AS page_total, pg_catalog.json_build_object(
  'description', (
    SELECT d.description
    FROM pg_catalog.pg_namespace n
    JOIN pg_catalog.pg_description d
      ON d.objoid = n.oid AND d.classoid = 'pg_catalog.pg_namespace'::regclass AND d.objsubid = 0
    WHERE n.nspname = args.schema),
  'tables', coalesce((
    SELECT pg_catalog.json_agg(c.relname::text ORDER BY c.relname)
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE args.follow
      AND n.nspname = args.schema
      AND c.relkind IN ('v', 'r', 'm', 'f', 'p')
      AND NOT c.relispartition
      AND (pg_catalog.pg_has_role(c.relowner, 'USAGE')
           OR pg_catalog.has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           OR pg_catalog.has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
  ), '[]'),
  'functions', coalesce((
    SELECT pg_catalog.json_agg(pg_catalog.json_build_array(
             p.proname::text, p.provolatile::text, d.description, coalesce(a.args, '[]'))
           ORDER BY p.proname, p.oid)
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    LEFT JOIN pg_catalog.pg_description d
      ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
    LEFT JOIN LATERAL (
      -- Input arguments (IN, INOUT, VARIADIC) in order; the last
      -- pronargdefaults of them have defaults.
      SELECT pg_catalog.json_agg(pg_catalog.json_build_array(
               x.name, x.type::regtype::text, x.input_ord > p.pronargs - p.pronargdefaults, x.mode = 'v')
             ORDER BY x.ord) AS args
      FROM (
        SELECT t.ord, t.type, t.mode, coalesce(p.proargnames[t.ord], '') AS name,
               count(*) OVER (ORDER BY t.ord) AS input_ord
        FROM (
          SELECT u.ord, u.type, coalesce(p.proargmodes[u.ord]::text, 'i') AS mode
          FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS u(type, ord)
        ) t
        WHERE t.mode IN ('i', 'b', 'v')
      ) x
    ) a ON true
    WHERE args.follow
      AND n.nspname = args.schema
      AND p.prokind = 'f'
      AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
  ), '[]')
)::text AS body
FROM args
