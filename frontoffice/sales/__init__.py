"""Sales: leads, opportunities in a pipeline, quotes and orders (arriving in parts with issue 4)."""
