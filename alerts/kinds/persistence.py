"""Persistence: threshold bands that must hold for a duration (continuous streams) or a number of readings in a
row, on every band. Judged exactly as threshold bands are (alerts.kinds.threshold); only the parameter check
differs."""

from __future__ import annotations

from alerts.kinds.threshold import ThresholdKind


class PersistenceKind(ThresholdKind):
    code = "persistence"
    persistence_required = True


KIND = PersistenceKind()
