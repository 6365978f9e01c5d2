"""Authentication: from the Authorization header to a database role and claims."""
