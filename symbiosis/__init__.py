"""Industrial symbiosis matching: the domain layer (companies, listings, materials, candidates, impacts)."""

__version__ = "0.1.0"
