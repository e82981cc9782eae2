"""Organizations and people the company deals with (customers, suppliers, ...), and their addresses."""
