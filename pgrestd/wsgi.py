"""``application`` for ``gunicorn pgrestd.wsgi``.

The configuration file is named by the environment variable ``PGRESTD_CONFIG``;
without it, ``PGRST_*`` variables alone configure pgrestd.  Under plain
``gunicorn pgrestd.wsgi`` each worker loads the schema cache when it starts
(``--preload`` makes the master load it once before forking), and a SIGHUP
to Gunicorn's master starts new workers, which load a fresh cache.
"""

from __future__ import annotations

import os
import sys

from .app import create_app
from .config import ConfigError, load_config
from .config.database import apply_database_config
from .log import setup_logging
from .server import load_snapshot, worker_count
from .state import STATE

__all__ = ["application", "CONFIG_ENV"]

CONFIG_ENV = "PGRESTD_CONFIG"


def _build():
    if STATE.config is None:
        try:
            config = load_config(os.environ.get(CONFIG_ENV) or None, os.environ)
            # What reading the in-database configuration logs comes out in pgrestd's format.
            setup_logging(config.log_level)
            STATE.config = apply_database_config(config)
        except ConfigError as exc:
            print(f"pgrestd: {exc}", file=sys.stderr)
            raise SystemExit(1) from None
        setup_logging(STATE.config.log_level)
    if STATE.catalog is None:
        load_snapshot(STATE.config)
    app = create_app(STATE.config, STATE, worker_count(STATE.config))
    app.pgrestd_api.retry_catalog = lambda: load_snapshot(STATE.config)
    return app


application = _build()
