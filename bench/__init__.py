"""Charger simulators and load generators for ocppcore (`python -m bench ...`)."""
