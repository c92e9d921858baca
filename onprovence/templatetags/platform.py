from django import template
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def page_in_language(context, language: str) -> str:
    """Return the current page's URL in `language` (a plain link: no cookie, no form)."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)
