"""Events customer service publishes: tickets opened and resolved, SLA breaches and customer ratings."""
