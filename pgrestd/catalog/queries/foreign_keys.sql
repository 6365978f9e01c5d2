-- Foreign keys touching the exposed schemas, with column names in key order.
SELECT
  con.conname AS name,
  ns1.nspname AS schema, c1.relname AS table,
  ns2.nspname AS foreign_schema, c2.relname AS foreign_table,
  (SELECT array_agg(a.attname ORDER BY k.ord)
     FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
  (SELECT array_agg(a.attname ORDER BY k.ord)
     FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS foreign_columns
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c1 ON c1.oid = con.conrelid
JOIN pg_catalog.pg_namespace ns1 ON ns1.oid = c1.relnamespace
JOIN pg_catalog.pg_class c2 ON c2.oid = con.confrelid
JOIN pg_catalog.pg_namespace ns2 ON ns2.oid = c2.relnamespace
WHERE con.contype = 'f'
  AND (ns1.nspname = ANY (%(schemas)s) OR ns2.nspname = ANY (%(schemas)s))
ORDER BY ns1.nspname, c1.relname, con.conname
