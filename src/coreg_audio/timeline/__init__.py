"""The compiled practice: events in exact time, rounded to samples once."""
