-- Views and materialized views with the relations each reads (NULL: none), so
-- that filling the tables behind an exposed view fills the view, and the
-- materialized views can be refreshed once the tables are filled.
SELECT DISTINCT v.oid::int8 AS relid, n.nspname AS schema, v.relname AS name, v.relkind = 'm' AS materialized,
       d.refobjid::int8 AS reads
FROM pg_catalog.pg_class v
JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
LEFT JOIN pg_catalog.pg_rewrite r ON r.ev_class = v.oid
LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> v.oid
WHERE v.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 5
