"""After-commit announcements of the alert workflow that the screens (clinic.live) push to dashboards."""

from django.dispatch import Signal

# sent with review=PatientReview once it is committed
patient_reviewed = Signal()
