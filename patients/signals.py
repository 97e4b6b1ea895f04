"""The way up from the record: layers above (the fleet) hear about a patient's discharge here.

`patient_discharged` is sent inside the discharge's transaction (patient=, by=), so whatever a receiver writes
(the devices returned to inventory) commits or rolls back with the discharge itself.
"""

from django.dispatch import Signal

patient_discharged = Signal()
