"""CRM: the sales side's view of customers — accounts, contacts with consent, and activities."""
