"""Small template helpers for the clinicians' forms."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] or None: a service error named by a dotted field (`medications.0.times`) or by None."""
    return mapping.get(key) if hasattr(mapping, "get") else None
