-- The columns of the tables above, in order, with their defaults.
SELECT a.attrelid::int8 AS relid, a.attname AS name, a.atttypid::int8 AS type_oid, a.atttypmod AS typmod,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_sql, a.attnotnull AS not_null,
       a.attidentity <> '' AS identity, a.attgenerated <> '' AS generated,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS default_sql
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attrelid = ANY(%(relids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
