"""SQL text and bind parameters for a plan: the only place SQL is written."""
