"""``python -m pgrestd`` runs the command-line interface."""

from .cli import main

main()
