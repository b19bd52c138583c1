"""Doctors: departments, doctor profiles and tiers, practising certificates and their
verification, onboarding (apply, review, approve). Uses no other room of hospital."""
