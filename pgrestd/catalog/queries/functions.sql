-- Functions of the exposed schemas: arguments, return type, volatility.
SELECT
  n.nspname AS schema,
  p.proname AS name,
  coalesce((
    SELECT json_agg(json_build_object(
      'name', coalesce(p.proargnames[i], ''),
      'type', pg_catalog.format_type((coalesce(p.proallargtypes, p.proargtypes::oid[]))[i], NULL),
      'mode', coalesce(p.proargmodes[i], 'i'),
      'has_default', i > coalesce(array_length(p.proallargtypes, 1), p.pronargs) - p.pronargdefaults
                     AND coalesce(p.proargmodes[i], 'i') IN ('i', 'b', 'v')
    ) ORDER BY i)
    FROM generate_subscripts(coalesce(p.proallargtypes, p.proargtypes::oid[]), 1) AS i
  ), '[]') AS args,
  pg_catalog.format_type(p.prorettype, NULL) AS return_type,
  tn.nspname AS return_type_schema,
  p.proretset AS returns_set,
  t.typtype::text AS return_kind,
  p.provolatile::text AS volatility,
  d.description
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_type t ON t.oid = p.prorettype
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY (%(schemas)s) AND p.prokind IN ('f', 'p')
ORDER BY n.nspname, p.proname, p.oid
