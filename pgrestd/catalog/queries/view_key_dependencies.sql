-- Which primary and foreign key columns each view of the exposed schemas
-- exposes, traced back through any number of views to the base table.
-- Parameters: schemas (text[]), extra_search_path (text[]).
--
-- This follows PostgREST's allViewsKeyDependencies: a view's stored rewrite
-- rule (pg_rewrite.ev_action, a pg_node_tree) names, for each output column,
-- the table and column it comes from (resorigtbl, resorigcol).  The node tree
-- is turned into JSON with cheap replace() calls and a single regexp pass
-- that keeps only the fields needed; then a recursive walk follows views of
-- views until it reaches a table.  Views in the extra search path are walked
-- through but do not start a walk.  Only keys whose every column reaches the
-- view are returned: no partial keys.
WITH RECURSIVE
key_columns AS (
  -- The columns of primary keys and of the referencing side of foreign keys ...
  SELECT con.contype::text AS contype, con.conname, array_length(con.conkey, 1) AS ncol,
         con.conrelid AS resorigtbl, k.attnum AS resorigcol, k.ord
  FROM pg_catalog.pg_constraint con
  LEFT JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ON true
  WHERE con.contype IN ('p', 'f')
  UNION
  -- ... and of the referenced side of foreign keys, told apart as 'f_ref'.
  SELECT 'f_ref', con.conname, array_length(con.confkey, 1),
         con.confrelid, k.attnum, k.ord
  FROM pg_catalog.pg_constraint con
  LEFT JOIN LATERAL unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord) ON true
  WHERE con.contype = 'f'
),
views AS (
  SELECT c.oid AS view_id, n.nspname AS view_schema, c.relname AS view_name,
         n.nspname = ANY (%(schemas)s) AS exposed, r.ev_action
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_rewrite r ON r.ev_class = c.oid
  WHERE c.relkind IN ('v', 'm')
    AND (n.nspname = ANY (%(schemas)s) OR n.nspname = ANY (%(extra_search_path)s))
),
view_json AS (
  -- Each step below depends on the ones before it; change with care and test
  -- against real view definitions.
  SELECT view_id, view_schema, view_name, exposed,
    replace(replace(replace(replace(replace(replace(replace(
    regexp_replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
      ev_action::text,
      -- an empty node `<>` becomes an empty list, so that a missing target
      -- list still reads as an array; done first so `(<> ...` lists are
      -- protected below like any other list
      '<>', '()'),
      -- commas and escaped braces can only come from identifiers: drop them,
      -- as `,` `{` `}` are the syntax the regexp below relies on
      ',', ''), E'\\{', ''), E'\\}', ''),
      -- the fields that are kept, written as JSON keys ahead of the regexp
      ' :targetList ', ',"targetList":'),
      ' :resno ', ',"resno":'),
      ' :resorigtbl ', ',"resorigtbl":'),
      ' :resorigcol ', ',"resorigcol":'),
      -- let the regexp swallow node names (`{QUERY`) too
      '{', '{ :'),
      -- guard lists that start with `((` or `({` from the greedy regexp
      '((', '{(('),
      '({', '{({'),
      -- every other field goes, up to the next kept field, node start or end
      ' :[^}{,]+', ',"":', 'g'),
      -- tidy up what the regexp left behind
      ',"":}', '}'),
      ',"":,', ','),
      '{(', '('),
      '{,', '{'),
      -- lists: pg_node_tree's ( a b ) is JSON's [a,b]
      '(', '['),
      ')', ']'),
      ' ', ',')::json AS definition
  FROM views
),
entries AS (
  SELECT view_id, view_schema, view_name, exposed,
         json_array_elements(definition -> 0 -> 'targetList') AS entry
  FROM view_json
),
view_columns AS (
  SELECT view_id, view_schema, view_name, exposed,
         (entry ->> 'resno')::int AS view_column,
         (entry ->> 'resorigtbl')::oid AS resorigtbl,
         (entry ->> 'resorigcol')::int AS resorigcol
  FROM entries
),
-- Walk from each exposed view column to its source, one view at a time;
-- `path` stops the walk on a cycle.
lineage (view_id, view_schema, view_name, view_column, resorigtbl, resorigcol, is_cycle, path) AS (
  SELECT view_id, view_schema, view_name, view_column, resorigtbl, resorigcol,
         false, ARRAY[resorigtbl]
  FROM view_columns
  WHERE exposed
  UNION ALL
  SELECT l.view_id, l.view_schema, l.view_name, l.view_column, src.resorigtbl, src.resorigcol,
         src.resorigtbl = ANY (l.path), l.path || src.resorigtbl
  FROM lineage l
  JOIN view_columns src ON src.view_id = l.resorigtbl AND src.view_column = l.resorigcol
  WHERE NOT l.is_cycle
),
-- One row per (view, source column): a source column may be exposed under
-- several names, and every one of them counts.
sources AS (
  SELECT l.view_id, l.view_schema, l.view_name, l.resorigtbl, l.resorigcol,
         array_agg(vcol.attname::text ORDER BY vcol.attnum) AS view_columns
  FROM lineage l
  JOIN pg_catalog.pg_attribute vcol ON vcol.attrelid = l.view_id AND vcol.attnum = l.view_column
  GROUP BY l.view_id, l.view_schema, l.view_name, l.resorigtbl, l.resorigcol
)
SELECT
  sch.nspname AS table_schema,
  tbl.relname AS table_name,
  s.view_schema,
  s.view_name,
  kc.conname AS constraint_name,
  kc.contype AS constraint_type,
  json_agg(json_build_array(col.attname, s.view_columns) ORDER BY kc.ord) AS column_dependencies
FROM sources s
JOIN key_columns kc USING (resorigtbl, resorigcol)
JOIN pg_catalog.pg_class tbl ON tbl.oid = s.resorigtbl
JOIN pg_catalog.pg_attribute col ON col.attrelid = tbl.oid AND col.attnum = s.resorigcol
JOIN pg_catalog.pg_namespace sch ON sch.oid = tbl.relnamespace
GROUP BY sch.nspname, tbl.relname, s.view_schema, s.view_name, kc.conname, kc.contype, kc.ncol
HAVING kc.ncol = count(*)
