-- How often the tables behind each relation of the exposed schemas are written and read, for the
-- Cache-Control policies db-cache-infer derives (cache_policy.infer_policy).  Parameter: schemas (text[]).
-- Only sent with db-cache-infer on.
--
-- The counters are pg_stat_user_tables', since the statistics were last reset: writes are rows
-- inserted, updated and deleted (n_tup_ins + n_tup_upd + n_tup_del), reads are sequential and index
-- scans (seq_scan + idx_scan).  They are read through the functions behind that view, for these
-- relations only, rather than through the view, which computes them for every table.
-- A table or materialized view counts itself; a partitioned table the sum of its partitions; a view
-- each table or materialized view its definition names, through any number of views.  Foreign
-- tables have no counters, and no row.
WITH RECURSIVE
rels AS (
  SELECT c.oid, c.relkind
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY (%(schemas)s)
    AND c.relkind IN ('r', 'v', 'm', 'p')
    AND NOT c.relispartition
),
-- Each relation, and what a view's rewrite rule depends on, followed through views.
sources (rel, source, kind) AS (
  SELECT oid, oid, relkind FROM rels
  UNION
  SELECT s.rel, d.refobjid, c.relkind
  FROM sources s
  JOIN pg_catalog.pg_rewrite w ON w.ev_class = s.source
  JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = w.oid
   AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> s.source
  JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
  WHERE s.kind = 'v'
),
counts AS (
  SELECT s.rel, s.source,
         sum(pg_catalog.pg_stat_get_tuples_inserted(t.oid) + pg_catalog.pg_stat_get_tuples_updated(t.oid)
             + pg_catalog.pg_stat_get_tuples_deleted(t.oid))::bigint AS writes,
         sum(pg_catalog.pg_stat_get_numscans(t.oid) + coalesce((
           SELECT sum(pg_catalog.pg_stat_get_numscans(i.indexrelid))
           FROM pg_catalog.pg_index i WHERE i.indrelid = t.oid), 0))::bigint AS reads
  FROM sources s
  CROSS JOIN LATERAL (
    SELECT p.relid AS oid FROM pg_catalog.pg_partition_tree(s.source) p WHERE s.kind = 'p' AND p.isleaf
    UNION ALL
    SELECT s.source WHERE s.kind IN ('r', 'm')
  ) t
  WHERE s.kind IN ('r', 'm', 'p')
  GROUP BY s.rel, s.source
)
SELECT
  rn.nspname AS schema,
  r.relname AS name,
  r.relkind = 'v' AS is_view,
  json_agg(json_build_array(sn.nspname, sc.relname, c.writes, c.reads) ORDER BY sn.nspname, sc.relname) AS sources
FROM counts c
JOIN pg_catalog.pg_class r ON r.oid = c.rel
JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
JOIN pg_catalog.pg_class sc ON sc.oid = c.source
JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
GROUP BY rn.nspname, r.relname, r.relkind
ORDER BY 1, 2
