"""Prescriptions: the formulary, drafting and signing e-prescriptions, the PDF and public
verification, supply limits, pharmacist review and renewal requests. Uses every other room."""
