-- The settings of the roles the authenticator may switch to (ALTER ROLE ... SET),
-- which each request's transaction applies for its role, as PostgREST does:
-- only those a plain user may set (or, from PostgreSQL 15, has been granted).
WITH me AS (
  -- By name, not current_user::regrole, which would fold a mixed-case name.
  SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user
),
role_setting AS (
  SELECT r.rolname, unnest(r.rolconfig) AS setting
  FROM pg_catalog.pg_auth_members m
  JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
  WHERE m.member = (SELECT oid FROM me)
),
kv AS (
  SELECT rolname,
         substr(setting, 1, strpos(setting, '=') - 1) AS key,
         lower(substr(setting, strpos(setting, '=') + 1)) AS value
  FROM role_setting
)
SELECT kv.rolname AS role, kv.key, kv.value
FROM kv
JOIN pg_catalog.pg_settings ps ON ps.name = kv.key
 AND (ps.context = 'user'
      OR pg_catalog.has_parameter_privilege((SELECT oid FROM me), ps.name, 'set')  -- PostgreSQL 15+
     )
ORDER BY kv.rolname, kv.key
