"""Users, staff versus customers, departments as groups, roles."""
