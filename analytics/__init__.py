"""Planner analytics: the company network, aggregates, unmatched supply, what-if analyses, exports and disclosure."""
