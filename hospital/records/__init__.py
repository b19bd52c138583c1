"""The health record: clinical profile, allergies, conditions, medicines, readings and
documents; who may open it (record access) and who did (the access log); FHIR export; chronic
care. Uses doctors, booking and consultations."""
