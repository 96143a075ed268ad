"""`{% related_papers paper %}` for the paper page.

Templates may use search; the papers code may not import it.
"""

from __future__ import annotations

from typing import Any

from django import template

from paperwire.papers.models import Paper
from paperwire.search.related import related_papers as find_related

register = template.Library()


@register.inclusion_tag("search/_related.html")
def related_papers(paper: Paper, k: int = 5) -> dict[str, Any]:
    return {"related": find_related(paper, k), "paper": paper}
