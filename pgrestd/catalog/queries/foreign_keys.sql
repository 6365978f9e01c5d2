-- Every foreign key of the database, with its columns in key order and
-- whether it is one-to-one.  Not only the exposed schemas: a view in an
-- exposed schema may select from private tables whose keys still relate it
-- (PostgREST's allM2OandO2ORels reads them all too).
-- Foreign keys that partitions inherit from their parent are left out
-- (conparentid <> 0): the parent's key already says it.
WITH unique_keys AS MATERIALIZED (
  -- PRIMARY KEY and UNIQUE column sets, as sorted attribute numbers.
  SELECT con.conrelid, array_agg(k.attnum ORDER BY k.attnum) AS attnums
  FROM pg_catalog.pg_constraint con
  CROSS JOIN LATERAL unnest(con.conkey) AS k(attnum)
  WHERE con.contype IN ('p', 'u') AND con.connamespace <> 'pg_catalog'::regnamespace
  GROUP BY con.oid, con.conrelid
)
SELECT
  con.conname AS name,
  ns1.nspname AS schema, c1.relname AS table,
  ns2.nspname AS foreign_schema, c2.relname AS foreign_table,
  keys.columns,
  keys.foreign_columns,
  -- PostgREST's one_to_one: the key columns are exactly (as a set) one of the
  -- referencing table's primary or unique keys.
  EXISTS (
    SELECT 1 FROM unique_keys u WHERE u.conrelid = con.conrelid AND u.attnums = keys.attnums
  ) AS one_to_one
FROM pg_catalog.pg_constraint con
CROSS JOIN LATERAL (
  SELECT
    array_agg(ca.attname::text ORDER BY k.ord) AS columns,
    array_agg(fa.attname::text ORDER BY k.ord) AS foreign_columns,
    array_agg(ca.attnum ORDER BY ca.attnum) AS attnums
  FROM unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord)
  JOIN pg_catalog.pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.attnum
  JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.fattnum
) keys
JOIN pg_catalog.pg_class c1 ON c1.oid = con.conrelid
JOIN pg_catalog.pg_namespace ns1 ON ns1.oid = c1.relnamespace
JOIN pg_catalog.pg_class c2 ON c2.oid = con.confrelid
JOIN pg_catalog.pg_namespace ns2 ON ns2.oid = c2.relnamespace
WHERE con.contype = 'f' AND con.conparentid = 0
ORDER BY ns1.nspname, c1.relname, con.conname
