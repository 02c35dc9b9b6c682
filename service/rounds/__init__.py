"""Matching rounds of the HTTP service: the snapshot of a round's scope, the background runner, the proposals.

``snapshot`` reads the companies and open listings in a round's scope (with the locks and forbids of
earlier runs); ``runner`` matches the snapshot on a thread pool with :func:`solvers.matching.match` and
the same defaults as every other entry point; ``proposals`` turns the exchanges into proposals and the
round summary.
"""
