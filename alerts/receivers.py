"""Hands newly stored readings to the alert engine (filled in by the alert engine)."""
