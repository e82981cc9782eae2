"""Products, units, tax rates and currencies."""
