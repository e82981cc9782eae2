"""`{% url %}` with its answers remembered: a template builtin that replaces Django's tag (config/settings.py).

reverse() walks the URL resolver on every call, about 20 µs; a staff page renders dozens of `{% url %}` tags
(the top bar, the page's buttons, links per row) whose answers only change when the URLconf does. This tag is
Django's own, but a reverse() of plain arguments (text and integers) is looked up in a per-process cache keyed by
everything reverse() depends on: the name, the arguments, the current app, the script prefix and the URLconf.
Anything else (a model instance as an argument, a lazy string) takes Django's path unchanged.
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.template import Library, defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()

_PLAIN = (str, int)


@lru_cache(maxsize=4096)
def _reverse(view_name: str, args: tuple, kwargs: tuple, current_app, script_prefix: str, urlconf) -> str:
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def cached_reverse(view_name, args=(), kwargs=None, current_app=None) -> str:
    """reverse(), remembered per process for plain arguments."""
    kwargs = kwargs or {}
    plain = (
        type(view_name) is str
        and all(type(arg) in _PLAIN for arg in args)
        and all(type(value) in _PLAIN for value in kwargs.values())
        and (current_app is None or type(current_app) is str)
    )
    if not plain:
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _reverse(
        view_name, tuple(args), tuple(sorted(kwargs.items())), current_app, get_script_prefix(), get_urlconf()
    )


def _forget(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()


setting_changed.connect(_forget, dispatch_uid="core.fast_url.forget")


class CachedURLNode(defaulttags.URLNode):
    """Django's URLNode.render, with cached_reverse() in place of reverse()."""

    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {key: value.resolve(context) for key, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
