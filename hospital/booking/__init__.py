"""Booking: weekly schedules and exceptions, generated slots, appointments (book, pay,
reschedule, cancel, no-show), the symptom helper and the consultation fee. Uses doctors."""
