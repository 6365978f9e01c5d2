-- Custom media type handlers (PostgREST's SchemaCache.mediaHandlers, aggregate part):
-- aggregates of the exposed schemas taking one relation row (or anyelement)
-- and returning a domain named like a media type, e.g.
--   create domain "application/vnd.geo2" as bytea;
--   create aggregate api.geo2_agg(api.lines) (... stype = "application/vnd.geo2" ...);
-- A "*/*" domain answers any Accept and is sent as application/octet-stream.
-- Functions returning such a domain are read from functions.sql.
-- Parameters: schemas (text[]).
WITH media_types AS (
  SELECT t.oid,
         lower(t.typname) AS media_type,
         CASE t.typname WHEN '*/*' THEN 'application/octet-stream' ELSE t.typname END AS resolved_media_type
  FROM pg_catalog.pg_type t
  WHERE t.typbasetype <> 0
    AND (t.typname ~* '^[A-Za-z0-9.-]+/[A-Za-z0-9.\+-]+$' OR t.typname = '*/*')
)
SELECT proc_schema.nspname::text AS handler_schema,
       proc.proname::text         AS handler_name,
       arg_schema.nspname::text   AS target_schema,
       arg_type.typname::text     AS target_name,
       arg_type.oid = 'pg_catalog.anyelement'::pg_catalog.regtype AS any_element,
       media_types.media_type::text,
       media_types.resolved_media_type::text
FROM media_types
  JOIN pg_catalog.pg_proc      proc        ON proc.prorettype = media_types.oid
  JOIN pg_catalog.pg_namespace proc_schema ON proc_schema.oid = proc.pronamespace
  JOIN pg_catalog.pg_aggregate agg         ON agg.aggfnoid = proc.oid
  JOIN pg_catalog.pg_type      arg_type    ON arg_type.oid = proc.proargtypes[0]
  JOIN pg_catalog.pg_namespace arg_schema  ON arg_schema.oid = arg_type.typnamespace
WHERE proc_schema.nspname = ANY (%(schemas)s)
  AND proc.pronargs = 1
  AND (arg_type.oid = 'pg_catalog.anyelement'::pg_catalog.regtype
       OR arg_type.oid IN (SELECT c.reltype FROM pg_catalog.pg_class c WHERE c.relkind IN ('v', 'r', 'm', 'f', 'p')))
ORDER BY 1, 2, 3, 4
