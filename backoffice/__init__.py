"""The back office: HR, finance, IT, logistics and legal. Each department app arrives with its issue."""
