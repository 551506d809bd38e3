"""Asynchronous CSV reports: generation (`generate`) and the worker task that runs it."""
