"""Pydantic models of the manifest: shared value types, one module per resource kind, the root."""
