"""``python -m pgrestd.live SOCKET``: the stream process, as the master's supervisor starts it."""

import sys

from .stream import main

sys.exit(main(sys.argv))
