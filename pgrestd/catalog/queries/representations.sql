-- Data representations: implicit casts between a domain and json or text
-- implemented by a function (PostgREST's "domain representations").
-- The search_path is empty while this runs, so type and function names come
-- out schema-qualified unless they live in pg_catalog.
SELECT
  c.castsource::regtype::text AS source_type,
  c.casttarget::regtype::text AS target_type,
  pn.nspname AS function_schema,
  p.proname AS function_name
FROM pg_catalog.pg_cast c
JOIN pg_catalog.pg_type src_t ON c.castsource = src_t.oid
JOIN pg_catalog.pg_type dst_t ON c.casttarget = dst_t.oid
JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE c.castcontext = 'i'
  AND c.castmethod = 'f'
  AND pg_catalog.has_function_privilege(c.castfunc, 'execute')
  AND ((src_t.typtype = 'd' AND c.casttarget IN ('json'::regtype, 'text'::regtype))
    OR (dst_t.typtype = 'd' AND c.castsource IN ('json'::regtype, 'text'::regtype)))
