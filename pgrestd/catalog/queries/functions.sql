-- Functions of the exposed schemas: arguments, return type, volatility,
-- settings; plus the one-argument functions of the extra search path that
-- take a row type, which can serve as computed fields.
-- Parameters: schemas (text[]), extra_search_path (text[]).
-- Procedures and trigger functions are left out: PostgREST calls functions
-- with SELECT, which neither can serve (allFunctions, prokind = 'f').
WITH RECURSIVE
domain_chain (oid, base) AS (
  SELECT t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE t.typtype = 'd'
  UNION ALL
  SELECT dc.oid, t.typbasetype
  FROM domain_chain dc JOIN pg_catalog.pg_type t ON t.oid = dc.base
  WHERE t.typtype = 'd'
),
domain_base AS (
  SELECT dc.oid, dc.base
  FROM domain_chain dc JOIN pg_catalog.pg_type b ON b.oid = dc.base
  WHERE b.typtype <> 'd'
),
procs AS (
  SELECT p.*, n.nspname, n.nspname = ANY (%(schemas)s) AS exposed
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prokind = 'f'
    AND p.prorettype <> 'pg_catalog.trigger'::regtype
    AND (n.nspname = ANY (%(schemas)s)
         OR (n.nspname = ANY (%(extra_search_path)s) AND p.pronargs = 1))
)
SELECT
  p.nspname AS schema,
  p.proname AS name,
  p.exposed,
  d.description,
  coalesce(args.args, '[]') AS args,
  -- PostgREST can only pass arguments by name, except a single unnamed
  -- argument that takes the whole body (json, jsonb, text, xml or bytea);
  -- other functions are not callable through /rpc (allFunctions, `callable`).
  CASE coalesce(args.unnamed_inputs, 0)
    WHEN 0 THEN true
    WHEN 1 THEN p.proargtypes[0] IN (
      'pg_catalog.bytea'::regtype, 'pg_catalog.json'::regtype, 'pg_catalog.jsonb'::regtype,
      'pg_catalog.text'::regtype, 'pg_catalog.xml'::regtype)
    ELSE false
  END AS callable,
  pg_catalog.format_type(p.prorettype, NULL) AS return_type,
  rt.typtype::text AS return_kind,
  -- PostgREST's return type: a domain stands for its base type ...
  btn.nspname AS return_type_schema,
  coalesce(comp.relname, bt.typname)::text AS return_type_name,
  p.proretset AS returns_set,
  -- ... which is composite if it is a row type or OUT/INOUT/TABLE arguments shape it.
  bt.typtype = 'c' OR coalesce(p.proargmodes::text[] && '{t,b,o}', false) AS return_composite,
  db.base IS NOT NULL AS return_composite_alias,
  CASE WHEN comp.relkind IN ('r', 'v', 'm', 'f', 'p') THEN compn.nspname END AS return_relation_schema,
  CASE WHEN comp.relkind IN ('r', 'v', 'm', 'f', 'p') THEN comp.relname::text END AS return_relation_name,
  -- A function of one argument of a relation's row type: a computed field or
  -- relationship of that relation.
  argn.nspname AS row_arg_schema,
  argc.relname::text AS row_arg_name,
  p.provolatile::text AS volatility,
  p.provariadic <> 0 AS has_variadic,
  (SELECT split_part(split_part(s, '=', 2), ',', 1)
     FROM unnest(p.proconfig) s WHERE s LIKE 'default\_transaction\_isolation=%%' LIMIT 1) AS isolation_level,
  coalesce((
    SELECT json_agg(json_build_array(split_part(s, '=', 1), substr(s, strpos(s, '=') + 1)))
    FROM unnest(p.proconfig) s
  ), '[]') AS settings
FROM procs p
JOIN pg_catalog.pg_type rt ON rt.oid = p.prorettype
LEFT JOIN domain_base db ON db.oid = rt.oid
JOIN pg_catalog.pg_type bt ON bt.oid = coalesce(db.base, rt.oid)
JOIN pg_catalog.pg_namespace btn ON btn.oid = bt.typnamespace
LEFT JOIN pg_catalog.pg_class comp ON comp.oid = bt.typrelid
LEFT JOIN pg_catalog.pg_namespace compn ON compn.oid = comp.relnamespace
LEFT JOIN pg_catalog.pg_type argt ON p.pronargs = 1 AND argt.oid = p.proargtypes[0]
LEFT JOIN pg_catalog.pg_class argc
  ON argc.oid = argt.typrelid AND argc.relkind IN ('r', 'v', 'm', 'f', 'p')
LEFT JOIN pg_catalog.pg_namespace argn ON argn.oid = argc.relnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
LEFT JOIN LATERAL (
  -- All arguments, OUT ones included, in declaration order.  pronargdefaults
  -- counts defaults among the input arguments only, the last ones of them:
  -- an argument has a default when its position among the inputs is past
  -- pronargs - pronargdefaults.
  SELECT
    json_agg(json_build_object(
      'name', a.name,
      'type', pg_catalog.format_type(a.type, NULL),
      'type_max_length', CASE a.type
        WHEN 'pg_catalog.bit'::regtype THEN 'bit varying'
        WHEN 'pg_catalog.bit[]'::regtype THEN 'bit varying[]'
        WHEN 'pg_catalog.bpchar'::regtype THEN 'character varying'
        WHEN 'pg_catalog.bpchar[]'::regtype THEN 'character varying[]'
        ELSE pg_catalog.format_type(a.type, NULL)
      END,
      'mode', a.mode,
      'has_default', a.input_ord IS NOT NULL AND a.input_ord > p.pronargs - p.pronargdefaults,
      'variadic', a.mode = 'v'
    ) ORDER BY a.ord) AS args,
    count(*) FILTER (WHERE a.input_ord IS NOT NULL AND a.unnamed) AS unnamed_inputs
  FROM (
    SELECT x.ord, x.type, x.mode, coalesce(p.proargnames[x.ord], '') AS name,
           p.proargnames[x.ord] IS NULL AS unnamed,
           CASE WHEN x.mode IN ('i', 'b', 'v')
             THEN count(*) FILTER (WHERE x.mode IN ('i', 'b', 'v')) OVER (ORDER BY x.ord) END AS input_ord
    FROM (
      SELECT t.ord, t.type, coalesce(p.proargmodes[t.ord]::text, 'i') AS mode
      FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS t(type, ord)
    ) x
  ) a
) args ON true
ORDER BY p.nspname, p.proname, p.oid
