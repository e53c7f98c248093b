"""Template filters that write values the one way every page writes them (core.display): `percent`
for a rate given as a fraction ("66.67%", "—" without a denominator)."""
from django import template

from core.display import percent_text

register = template.Library()
register.filter("percent", percent_text)
