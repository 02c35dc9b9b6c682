"""The edges people touch: the command line (and later the HTTP API)."""
