"""Role checks for templates, e.g. the admin links in the top bar."""

from django import template

from rpm import roles

register = template.Library()


@register.filter
def is_admin(user) -> bool:
    return roles.is_admin(user)


@register.filter
def is_clinician(user) -> bool:
    return roles.is_clinician(user)


@register.filter
def sees_programme_numbers(user) -> bool:
    return roles.sees_programme_numbers(user)
