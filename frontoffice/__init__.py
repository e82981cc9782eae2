"""The front office: customer service, sales, marketing and CRM. Each department app arrives with its issue."""
