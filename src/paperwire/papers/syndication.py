"""What the site's RSS feeds share (the daily feed's, a collection's, For you's)."""

from __future__ import annotations

from typing import Any

from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import escape


class TextDescriptionRss(Rss201rev2Feed):
    """RSS 2.0 whose channel description is text, sent escaped: readers render it as
    HTML (Atom's subtitle is text already), so `D<n` reads as written and `<script>`
    never runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if isinstance(kwargs.get("description"), str):
            kwargs["description"] = escape(kwargs["description"])
        super().__init__(*args, **kwargs)
