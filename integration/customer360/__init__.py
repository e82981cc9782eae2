"""Customer 360: every event about a customer on one timeline, and the one-page customer view."""
