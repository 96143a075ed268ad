"""A paper keeps its title and abstract as written and stores beside them what search
reads of them: their readable text (papers/tex.py search_text), or NULL when that is the
text itself. Every writer of the text writes it: save(), the import, the ingest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from paperwire.papers.models import Paper
from paperwire.papers.tex import search_text

pytestmark = pytest.mark.django_db


def test_search_text_is_the_readable_text_or_none() -> None:
    assert search_text('A na\\"ive Schr\\"odinger, 91\\%') == "A naïve Schrödinger, 91%"
    assert search_text("Plain text, $x^2$ and \\method") is None
    assert search_text("") is None


def test_save_writes_it_with_the_text(import_rows: Callable[[list[Any]], Any]) -> None:
    paper = Paper.objects.create(public_id="p1", title='Na\\"ive', title_key="k", abstract="A.")
    paper.refresh_from_db()
    assert (paper.title, paper.search_title, paper.search_abstract) == ('Na\\"ive', "Naïve", None)
    assert (paper.searched_title, paper.searched_abstract) == ("Naïve", "A.")
    paper.abstract = "Poincar\\'e."
    paper.save(update_fields=["abstract"])  # the search text goes with the field
    paper.refresh_from_db()
    assert paper.search_abstract == "Poincaré."
    paper.title = "Plain"
    paper.save()
    paper.refresh_from_db()
    assert paper.search_title is None
    import_rows([{"id": "p1", "title": "Erd\\H{o}s", "summary": "B."}])
    paper.refresh_from_db()
    assert (paper.title, paper.search_title, paper.search_abstract) == ("Erd\\H{o}s", "Erdős", None)
