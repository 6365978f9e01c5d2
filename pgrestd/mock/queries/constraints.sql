-- Primary keys, unique constraints and plain unique indexes (partial and
-- expression indexes are left to PostgreSQL to enforce), foreign keys and
-- CHECK constraints of the tables above.  Column lists are names, in key order.
SELECT c.conrelid::int8 AS relid, c.conname AS name, c.contype AS kind,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num
             ORDER BY k.pos) AS columns,
       c.confrelid::int8 AS ref_relid,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(num, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num
             ORDER BY k.pos) AS ref_columns,
       c.condeferrable AS deferrable,
       coalesce(i.indnullsnotdistinct, false) AS nulls_not_distinct,
       CASE WHEN c.contype = 'c' THEN pg_catalog.pg_get_constraintdef(c.oid) END AS definition
FROM pg_catalog.pg_constraint c
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.conindid AND c.contype IN ('p', 'u')
WHERE c.conrelid = ANY(%(relids)s::oid[]) AND c.contype IN ('p', 'u', 'f', 'c')
  AND c.conparentid = 0  -- not the copies a key to a partitioned table makes for each partition
UNION ALL
SELECT i.indrelid::int8, ic.relname, 'u',
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(num, pos)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
             ORDER BY k.pos),
       NULL, NULL, false, i.indnullsnotdistinct, NULL
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(%(relids)s::oid[]) AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1, 3, 2
