"""manage.py assess."""
