"""The HTTP API: a thin Quart-trio layer over the store's views and writer."""
