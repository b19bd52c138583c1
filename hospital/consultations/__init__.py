"""Consultations: the visit for an appointment, quick consults, chat messages and attachments,
video and phone, referrals, diagnoses and the follow-up (复诊) gate, the visit summary. Uses
doctors and booking."""
