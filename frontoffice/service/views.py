"""Staff pages of customer service: ticket lists, the ticket page, queues, canned responses and reports."""
