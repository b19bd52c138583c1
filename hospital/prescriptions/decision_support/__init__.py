"""Decision support: the pure engine that checks a prescription (interactions, allergies,
duplicates, doses, pregnancy, age) against the sourced knowledge files in data/."""
