"""The request stage: what pgrestd reads from an HTTP request (query string, headers, body), parsed without a database."""
