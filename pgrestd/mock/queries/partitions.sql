-- The partitions of each partitioned table with a one-column key: the key column and each
-- partition's bound (FOR VALUES IN (...), FROM (...) TO (...), DEFAULT).
SELECT i.inhparent::int8 AS relid, a.attname AS column, pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = i.inhparent AND pt.partnatts = 1
JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
WHERE i.inhparent = ANY(%(relids)s::oid[])
ORDER BY 1, 3
