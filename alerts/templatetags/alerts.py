from django import template

from alerts.selectors import notice_unread_count

register = template.Library()


@register.inclusion_tag("alerts/bell.html", takes_context=True)
def notice_bell(context) -> dict:
    """The header's bell: a link to the notices with the count of unread ones."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {"show": True, "unread": notice_unread_count(user=user), "request": request}
