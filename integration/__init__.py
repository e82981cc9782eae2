"""Everything that crosses the line between the front office and the back office."""
