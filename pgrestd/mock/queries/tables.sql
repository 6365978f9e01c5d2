-- Every ordinary and partitioned table outside the system schemas that no
-- extension owns (PostGIS' spatial_ref_sys is the extension's to fill), with
-- the partition's root for a partition.
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind = 'p' AS partitioned,
       CASE WHEN c.relispartition
            THEN (SELECT a.relid::int8 FROM pg_catalog.pg_partition_ancestors(c.oid) AS a(relid)
                  JOIN pg_catalog.pg_class p ON p.oid = a.relid WHERE NOT p.relispartition)
       END AS partition_root
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname
