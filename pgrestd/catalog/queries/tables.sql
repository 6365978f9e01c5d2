-- Relations of the exposed schemas with their columns, primary and unique keys.
-- Parameter: schemas (text[]).  Runs with an empty search_path, so names of
-- types outside pg_catalog come out schema-qualified, as in PostgREST.
-- Partitions are left out: their partitioned table stands for them
-- (PostgREST's allTables, `not c.relispartition`).
WITH RECURSIVE
exposed AS (
  SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ANY (%(schemas)s)
),
-- Domains resolved to the type they are ultimately built on, through any
-- number of domains over domains.
domain_chain (oid, base) AS (
  SELECT t.oid, t.typbasetype FROM pg_catalog.pg_type t WHERE t.typtype = 'd'
  UNION ALL
  SELECT dc.oid, t.typbasetype
  FROM domain_chain dc JOIN pg_catalog.pg_type t ON t.oid = dc.base
  WHERE t.typtype = 'd'
),
-- Materialized: read once per relation below, it must not be recomputed each time.
domain_base AS MATERIALIZED (
  SELECT dc.oid, dc.base
  FROM domain_chain dc JOIN pg_catalog.pg_type b ON b.oid = dc.base
  WHERE b.typtype <> 'd'
),
rels AS (
  SELECT c.oid, c.relname, c.relkind, c.relnamespace
  FROM pg_catalog.pg_class c
  WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
    AND c.relnamespace IN (SELECT oid FROM exposed)
    AND NOT c.relispartition
),
-- PRIMARY KEY and UNIQUE constraints with their columns in key order.
keys AS (
  SELECT con.conrelid, con.contype, con.conname,
         array_agg(a.attname::text ORDER BY k.ord) AS cols
  FROM pg_catalog.pg_constraint con
  CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
  WHERE con.contype IN ('p', 'u') AND con.conrelid IN (SELECT oid FROM rels)
  GROUP BY con.conrelid, con.oid, con.contype, con.conname
),
rel_keys AS (
  SELECT conrelid,
         -- PostgREST lists primary key columns by name (tbl_pk_cols, ORDER BY attname)
         (SELECT array_agg(x ORDER BY x) FROM unnest(max(cols) FILTER (WHERE contype = 'p')) x) AS primary_key,
         json_agg(cols ORDER BY contype, conname) AS unique_keys
  FROM keys
  GROUP BY conrelid
)
SELECT
  n.nspname AS schema,
  c.relname AS name,
  c.relkind::text AS kind,
  d.description,
  -- the keys of views are traced through their definitions afterwards
  coalesce(CASE WHEN c.relkind IN ('r', 'p') THEN k.primary_key END, '{}') AS primary_key,
  coalesce(k.unique_keys, '[]') AS unique_keys,
  -- pg_relation_is_updatable's bitmask holds 1 << CMD_INSERT (8), CMD_UPDATE (4)
  -- and CMD_DELETE (16); tables take all three, materialized views none.
  c.relkind IN ('r', 'p') OR (c.relkind IN ('v', 'f') AND (upd.mask & 8) = 8) AS insertable,
  c.relkind IN ('r', 'p') OR (c.relkind IN ('v', 'f') AND (upd.mask & 4) = 4) AS updatable,
  c.relkind IN ('r', 'p') OR (c.relkind IN ('v', 'f') AND (upd.mask & 16) = 16) AS deletable,
  coalesce(cols.cols, '[]') AS columns
FROM rels c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT CASE WHEN c.relkind IN ('v', 'f')
    THEN pg_catalog.pg_relation_is_updatable(c.oid::regclass, true) ELSE 0 END AS mask
) upd
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
LEFT JOIN rel_keys k ON k.conrelid = c.oid
-- The columns of each relation, looked up by its oid: joining one
-- aggregate of all columns instead makes the planner, which cannot count the
-- relations in advance, compare every relation with every other.
LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object(
      'name', a.attname,
      'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
      -- PostgREST's colType: a domain over a built-in type shows that type, and
      -- built-in types drop their modifier.
      'base_type', CASE
        WHEN t.typtype = 'd' AND bt.typnamespace = 'pg_catalog'::regnamespace
          THEN pg_catalog.format_type(bt.oid, NULL)
        WHEN t.typtype <> 'd' AND t.typnamespace = 'pg_catalog'::regnamespace
          THEN pg_catalog.format_type(a.atttypid, NULL)
        ELSE pg_catalog.format_type(a.atttypid, a.atttypmod)
      END,
      -- A NOT NULL domain makes the column non-nullable too.
      'nullable', NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)),
      -- PostgREST's column_default: the domain's default when the column has
      -- none, nextval() of the sequence behind an identity column, nothing for a
      -- generated column (its expression is not a default the client may skip to).
      'default', CASE
        WHEN t.typbasetype <> 0 AND ad.adbin IS NULL THEN pg_catalog.pg_get_expr(t.typdefaultbin, 0)
        WHEN a.attidentity = 'd' THEN (
          SELECT format('nextval(%%L)', dep.objid::regclass)
          FROM pg_catalog.pg_depend dep
          WHERE dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
            AND dep.classid = 'pg_catalog.pg_class'::regclass
          LIMIT 1)
        WHEN a.attgenerated = 's' THEN NULL
        ELSE pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)
      END,
      'description', cd.description,
      'enum', CASE WHEN bt.typtype = 'e' THEN (
        SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
        FROM pg_catalog.pg_enum e WHERE e.enumtypid = bt.oid) END,
      -- information_schema's character_maximum_length (what PostgREST reads),
      -- spelled out: the helper functions take whole rows and cost more than
      -- the rest of the column together.
      'max_length', CASE
        WHEN tm.typid IN ('pg_catalog.bpchar'::regtype, 'pg_catalog.varchar'::regtype) AND tm.typmod <> -1
          THEN tm.typmod - 4
        WHEN tm.typid IN ('pg_catalog.bit'::regtype, 'pg_catalog.varbit'::regtype) AND tm.typmod <> -1
          THEN tm.typmod
      END,
      'generated', a.attgenerated = 's',
      'identity', nullif(a.attidentity, '')
    ) ORDER BY a.attnum) AS cols
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    -- the column's type and modifier, a domain's taken from the domain
    CROSS JOIN LATERAL (
      SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END AS typid,
             CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod
    ) tm
    LEFT JOIN domain_base db ON db.oid = t.oid
    JOIN pg_catalog.pg_type bt ON bt.oid = coalesce(db.base, t.oid)
    LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    LEFT JOIN pg_catalog.pg_description cd
      ON cd.objoid = a.attrelid AND cd.classoid = 'pg_catalog.pg_class'::regclass AND cd.objsubid = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
) cols ON true
ORDER BY n.nspname, c.relname
