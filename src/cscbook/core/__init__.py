"""The bottom layer: errors, paths, quarters, the calendar, disclosure control, input limits, locks, atomic
file writes and the generic content-keyed cache. Imports nothing else of cscbook."""
