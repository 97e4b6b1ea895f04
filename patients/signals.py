"""The way up from the record: layers above (the fleet, the alert engine) hear about a patient's stay here.

Both are sent inside the change's own transaction (patient=, by=, reason=), so whatever a receiver writes (devices
returned to inventory, alerts closed) commits or rolls back with the change itself.
"""

from django.dispatch import Signal

patient_discharged = Signal()
monitoring_paused = Signal()
# any change of status (patient=, before=, after=): the live dashboards show it once committed
status_changed = Signal()
