-- pgrestd live endpoints: change capture (README, "Live endpoints").
--
-- Run once per database, as its owner (or a superuser), with psql:
--
--   psql -d app -f conf/live.sql
--   SELECT pgrestd_live.watch('api.films');      -- each table to stream, once
--   SELECT pgrestd_live.allow('authenticator');  -- the role pgrestd logs in as
--
-- A row trigger on each watched table writes the table and the primary key of
-- every inserted, updated or deleted row to pgrestd_live.changes, and notifies
-- the channel "pgrestd_live" with the transaction's id. The rows themselves are
-- never copied: pgrestd reads them again, as each subscriber's role, so grants
-- and row-level security decide who sees what. NOTIFY is delivered at commit,
-- in commit order, and folds identical payloads of one transaction into one:
-- a transaction of any size is one notification, and its log entries carry
-- whatever it changed (nothing rides on NOTIFY's 8000-byte payload).
--
-- The schema is not exposed by pgrestd (leave it out of db-schemas). Writers
-- need no rights on it: the trigger function runs as its owner. pgrestd prunes
-- entries older than live-retention; pgrestd_live.prune() does it by hand.
-- The file can be run again: it replaces the functions and keeps the log.

CREATE SCHEMA IF NOT EXISTS pgrestd_live;
REVOKE ALL ON SCHEMA pgrestd_live FROM PUBLIC;
COMMENT ON SCHEMA pgrestd_live IS 'pgrestd live endpoints: the change log read by pgrestd''s stream process.';

CREATE TABLE IF NOT EXISTS pgrestd_live.changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction: an entry is delivered once this transaction is
    -- visible in pgrestd's snapshot, never before, never twice.
    xid         xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    schema_name text NOT NULL,
    table_name  text NOT NULL,
    -- I insert, U update, D delete (an update that changes the key is D of
    -- the old key and I of the new), T truncate (no key).
    op          "char" NOT NULL,
    key         jsonb,
    at          timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX IF NOT EXISTS changes_xid ON pgrestd_live.changes (xid);
CREATE INDEX IF NOT EXISTS changes_at ON pgrestd_live.changes (at);
COMMENT ON TABLE pgrestd_live.changes IS 'Keys of rows changed in watched tables, pruned after live-retention.';

-- Arguments: the watched table's schema and name (a partition's trigger names
-- its partitioned table), then its primary key columns.
CREATE OR REPLACE FUNCTION pgrestd_live.capture() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    keys text[] := TG_ARGV[2:];
    new_key jsonb;
    old_key jsonb;
    j jsonb;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO pgrestd_live.changes (schema_name, table_name, op) VALUES (TG_ARGV[0], TG_ARGV[1], 'T');
    ELSE
        IF TG_OP <> 'DELETE' THEN
            j := to_jsonb(NEW);
            SELECT jsonb_object_agg(k, j -> k) INTO new_key FROM unnest(keys) AS k;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            j := to_jsonb(OLD);
            SELECT jsonb_object_agg(k, j -> k) INTO old_key FROM unnest(keys) AS k;
        END IF;
        IF TG_OP = 'UPDATE' AND new_key IS DISTINCT FROM old_key THEN
            INSERT INTO pgrestd_live.changes (schema_name, table_name, op, key)
            VALUES (TG_ARGV[0], TG_ARGV[1], 'D', old_key), (TG_ARGV[0], TG_ARGV[1], 'I', new_key);
        ELSE
            INSERT INTO pgrestd_live.changes (schema_name, table_name, op, key)
            VALUES (TG_ARGV[0], TG_ARGV[1], left(TG_OP, 1), coalesce(new_key, old_key));
        END IF;
    END IF;
    PERFORM pg_notify('pgrestd_live', pg_current_xact_id()::text);
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION pgrestd_live.capture() FROM PUBLIC;

-- SELECT pgrestd_live.watch('api.films'): capture the table's changes (again: after its primary key or name changed).
CREATE OR REPLACE FUNCTION pgrestd_live.watch(relation regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    args text;
BEGIN
    SELECT format('%L, %L, ', n.nspname, c.relname)
           || string_agg(quote_literal(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
      INTO args
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
     WHERE c.oid = relation
     GROUP BY n.nspname, c.relname;
    IF args IS NULL THEN
        RAISE EXCEPTION 'pgrestd_live.watch: % has no primary key', relation
            USING HINT = 'Live streams identify rows by their primary key.';
    END IF;
    PERFORM pgrestd_live.unwatch(relation);
    EXECUTE format('CREATE TRIGGER pgrestd_live_capture AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION pgrestd_live.capture(%s)', relation, args);
    EXECUTE format('CREATE TRIGGER pgrestd_live_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION pgrestd_live.capture(%s)', relation, args);
END $$;

CREATE OR REPLACE FUNCTION pgrestd_live.unwatch(relation regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS pgrestd_live_capture ON %s', relation);
    EXECUTE format('DROP TRIGGER IF EXISTS pgrestd_live_truncate ON %s', relation);
END $$;

-- The tables watched now, as pgrestd asks before it opens a stream.
CREATE OR REPLACE FUNCTION pgrestd_live.watched() RETURNS TABLE (schema_name text, table_name text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT n.nspname::text, c.relname::text
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE t.tgname = 'pgrestd_live_capture' AND NOT t.tgisinternal
$$;

-- Drop entries older than keep; pgrestd's stream process calls it every minute.
CREATE OR REPLACE FUNCTION pgrestd_live.prune(keep interval) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (DELETE FROM pgrestd_live.changes WHERE at < now() - keep RETURNING 1)
    SELECT count(*) FROM gone
$$;
REVOKE ALL ON FUNCTION pgrestd_live.prune(interval) FROM PUBLIC;

-- SELECT pgrestd_live.allow('authenticator'): what pgrestd's login role needs to stream.
CREATE OR REPLACE FUNCTION pgrestd_live.allow(reader regrole) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA pgrestd_live TO %s', reader);
    EXECUTE format('GRANT SELECT ON pgrestd_live.changes TO %s', reader);
    EXECUTE format('GRANT EXECUTE ON FUNCTION pgrestd_live.prune(interval), pgrestd_live.watched() TO %s', reader);
END $$;
REVOKE ALL ON FUNCTION pgrestd_live.watch(regclass), pgrestd_live.unwatch(regclass),
                       pgrestd_live.allow(regrole) FROM PUBLIC;
