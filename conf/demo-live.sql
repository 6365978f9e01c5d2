-- Live endpoints of the demo (pgrestd.live, live-enabled in conf/demo.conf):
-- the change capture of conf/live.sql, on films and reviews.
--
--   curl -N 'http://127.0.0.1:3000/films?year=gte.2000&select=title,director:directors(name)' \
--        -H 'Accept: text/event-stream'

\ir live.sql

SELECT pgrestd_live.watch('api.films');
SELECT pgrestd_live.watch('api.reviews');
SELECT pgrestd_live.allow('authenticator');
