"""The patient's medication schedule: dose times from each delivered prescription item, doses
taken, skipped or missed, adherence, and the reminders that keep a patient on treatment."""
