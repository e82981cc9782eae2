"""Who changed what, and when: rows written by services."""
