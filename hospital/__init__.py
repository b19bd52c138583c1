"""The provider of care, one Django app (label `hospital`) laid out by room: doctors, booking,
consultations, records, prescriptions (with decision_support). models.py, admin.py, tasks.py,
urls.py and api/urls.py only gather the rooms for Django; rules.py holds the figures and
icd10.py the diagnosis code list every room shares."""
