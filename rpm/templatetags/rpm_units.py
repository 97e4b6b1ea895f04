"""The unit symbol a person reads for a metric (mmHg, °C, steps), never the raw UCUM code."""

from django import template

from rpm.units import CANONICAL

register = template.Library()


@register.filter
def unit_symbol(metric: str) -> str:
    return CANONICAL.symbol(metric)
