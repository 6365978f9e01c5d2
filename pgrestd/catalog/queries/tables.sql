-- Relations of the exposed schemas with their columns and primary keys.
-- Parameter: the exposed schemas (text[]).
SELECT
  n.nspname AS schema,
  c.relname AS name,
  c.relkind::text AS kind,
  d.description,
  coalesce(pk.cols, '{}') AS primary_key,
  c.relkind IN ('r', 'p') OR (pg_catalog.pg_relation_is_updatable(c.oid, true) & 8) = 8 AS insertable,
  c.relkind IN ('r', 'p') OR (pg_catalog.pg_relation_is_updatable(c.oid, true) & 4) = 4 AS updatable,
  c.relkind IN ('r', 'p') OR (pg_catalog.pg_relation_is_updatable(c.oid, true) & 16) = 16 AS deletable,
  coalesce(cols.cols, '[]') AS columns
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
LEFT JOIN LATERAL (
  SELECT array_agg(a.attname ORDER BY k.ord) AS cols
  FROM pg_catalog.pg_constraint con
  CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
  WHERE con.conrelid = c.oid AND con.contype = 'p'
) pk ON true
LEFT JOIN LATERAL (
  SELECT json_agg(json_build_object(
    'name', a.attname,
    'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
    'nullable', NOT a.attnotnull,
    'default', pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
    'description', cd.description,
    'enum', (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
             FROM pg_catalog.pg_enum e WHERE e.enumtypid = a.atttypid),
    'max_length', CASE WHEN a.atttypmod > 4 AND a.atttypid IN (1042, 1043) THEN a.atttypmod - 4 END
  ) ORDER BY a.attnum) AS cols
  FROM pg_catalog.pg_attribute a
  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  LEFT JOIN pg_catalog.pg_description cd
    ON cd.objoid = a.attrelid AND cd.classoid = 'pg_catalog.pg_class'::regclass AND cd.objsubid = a.attnum
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
) cols ON true
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND n.nspname = ANY (%(schemas)s)
ORDER BY n.nspname, c.relname
