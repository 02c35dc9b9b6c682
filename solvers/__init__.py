"""Optimisation: turn a candidate graph into proposed exchanges with OR-Tools."""
