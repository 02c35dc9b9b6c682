"""The HTTP API: company registry, listings, matching rounds, proposals and exchanges."""
