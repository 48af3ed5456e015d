"""Synthetic demo history: events that reproduce every figure of the seed report (DEMO DATA)."""
