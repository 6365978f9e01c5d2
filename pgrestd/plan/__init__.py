"""Plans: a request resolved against the catalog snapshot, ready to become SQL."""
