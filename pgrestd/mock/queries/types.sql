-- Every type a column may have: what it is built from (domain base, array
-- element, range subtype, composite attributes), enum labels, domain checks.
SELECT t.oid::int8 AS oid, n.nspname AS schema, t.typname AS name, t.typtype AS kind,
       t.typcategory AS category, pg_catalog.format_type(t.oid, NULL) AS type_sql,
       t.typbasetype::int8 AS base_oid, t.typtypmod AS base_typmod, t.typnotnull AS not_null,
       CASE WHEN t.typcategory = 'A' AND t.typlen = -1 THEN t.typelem::int8 END AS element_oid,
       coalesce(r.rngsubtype, mr.rngsubtype)::int8 AS range_subtype_oid, mr.rngtypid IS NOT NULL AS multirange,
       ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder) AS labels,
       ARRAY(SELECT pg_catalog.pg_get_constraintdef(c.oid) FROM pg_catalog.pg_constraint c
             WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname) AS checks,
       CASE WHEN t.typtype = 'c' THEN
         (SELECT json_agg(json_build_array(a.attname, a.atttypid::int8, a.atttypmod) ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
       END AS attributes
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
LEFT JOIN pg_catalog.pg_range mr ON mr.rngmultitypid = t.oid
WHERE t.typtype <> 'p' AND t.typisdefined
