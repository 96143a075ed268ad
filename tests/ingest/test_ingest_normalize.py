"""Normalization: ids in both schemes, names, abstracts, categories."""

from __future__ import annotations

import pytest

from paperwire.ingest.categories import oai_set, parse_categories
from paperwire.ingest.errors import FeedFormatError, IngestError
from paperwire.ingest.normalize import (
    clean_abstract,
    split_author_string,
    split_id,
    tex_to_unicode,
)
from paperwire.papers.records import AuthorRecord


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://arxiv.org/abs/2401.01234v2", ("2401.01234", 2)),
        ("oai:arXiv.org:2401.01234", ("2401.01234", None)),
        ("0704.0001", ("0704.0001", None)),
        ("http://arxiv.org/abs/hep-th/9901001v1", ("hep-th/9901001", 1)),
        ("oai:arXiv.org:math.GT/0309136", ("math.GT/0309136", None)),
    ],
)
def test_split_id_both_schemes(raw: str, expected: tuple[str, int | None]) -> None:
    assert split_id(raw, where="t") == expected


def test_split_id_rejects_garbage() -> None:
    with pytest.raises(FeedFormatError, match="not an arXiv identifier"):
        split_id("http://arxiv.org/api/errors#x", where="t")


def test_abstract_unwrapped_paragraphs_and_tex_kept() -> None:
    raw = "  First line\nwrapped $O(n^2)$ \\emph{x}.\n  Second paragraph\nhere.\n\nThird.\n"
    assert clean_abstract(raw) == (
        "First line wrapped $O(n^2)$ \\emph{x}.\n\nSecond paragraph here.\n\nThird."
    )


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("Bal\\'azs K\\\"onig", "Balázs König"),
        ("{\\O}ystein \\AA sen", "Øystein Åsen"),
        ("Fran\\c{c}ois", "François"),
        ("Erd{\\H o}s", "Erdős"),
        ("Ji\\v{r}\\'i", "Jiří"),
        ("plain", "plain"),
    ],
)
def test_tex_accents_in_names(tex: str, text: str) -> None:
    assert tex_to_unicode(tex).replace("{", "").replace("}", "") == text


def test_author_string_with_affiliations_and_and() -> None:
    got = split_author_string('A. One (MIT, CSAIL), B. Two and\n  C. Three (ETH Z\\"urich)')
    assert got == [
        AuthorRecord("A. One", "MIT, CSAIL"),
        AuthorRecord("B. Two", ""),
        AuthorRecord("C. Three", "ETH Zürich"),
    ]
    assert split_author_string("X, Y, and Z") == [
        AuthorRecord("X"),
        AuthorRecord("Y"),
        AuthorRecord("Z"),
    ]


def test_categories_checked_and_mapped_to_sets() -> None:
    assert parse_categories("cs.CL, cs.LG,stat.ML,cs.CL") == ["cs.CL", "cs.LG", "stat.ML"]
    assert [oai_set(c) for c in ["cs.CL", "hep-th", "astro-ph.GA", "stat.ML", "q-bio.NC"]] == [
        "cs",
        "physics:hep-th",
        "physics:astro-ph",
        "stat",
        "q-bio",
    ]
    with pytest.raises(
        IngestError, match=r"unknown arXiv category: cs\.cl \(did you mean cs\.CL\?\)"
    ):
        parse_categories("cs.cl")
    with pytest.raises(IngestError, match=r"unknown arXiv categories: cs\.XX, foo"):
        parse_categories("cs.XX,foo")
