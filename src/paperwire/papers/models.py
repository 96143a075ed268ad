"""Papers, their authors and organizations, and the daily feed they appear in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.safestring import SafeString

from paperwire.papers.ids import ARXIV_ABS, ARXIV_PDF
from paperwire.papers.tex import abstract_html, readable, search_text


class Organization(models.Model):
    """A lab or company papers are attributed to: the seeds' "tencent Tencent" line."""

    name = models.CharField(max_length=100, unique=True, help_text="Short handle, e.g. tencent")
    fullname = models.CharField(max_length=200, blank=True)
    avatar = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.fullname or self.name

    @property
    def display_name(self) -> str:
        return self.fullname or self.name

    @property
    def shows_handle(self) -> bool:
        """Whether pages show the handle beside the name ("tencent Tencent"): not when
        they are the same text ("Qwen", not "Qwen Qwen") or there is no full name."""
        return bool(self.fullname) and self.fullname != self.name

    @classmethod
    def named(cls, name: str) -> Organization | None:
        """The organization with this handle in any case, as search's `org:` finds it
        (/orgs/qwen is Qwen): the exact handle first, else the only one that differs in
        case alone (two such, and the name is ambiguous: None)."""
        exact = cls.objects.filter(name=name).first()
        if exact is not None:
            return exact
        found = list(cls.objects.filter(name__iexact=name)[:2])
        return found[0] if len(found) == 1 else None


class Author(models.Model):
    """A person who wrote papers. One row per distinct name."""

    name = models.CharField(max_length=300, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Paper(models.Model):
    """One paper. Its public id is the arXiv id when known, else a short stable id."""

    public_id = models.CharField(max_length=64, unique=True)
    arxiv_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    title = models.CharField(max_length=1000)
    # Lower-cased, punctuation-free title: how papers without an arXiv id are matched.
    title_key = models.CharField(max_length=1000, db_index=True)
    abstract = models.TextField(blank=True)
    # What search indexes and embeds of the title and abstract: their readable text
    # (papers/tex.py search_text: "na\\"ive" as "naïve"), NULL where that is the text
    # itself (most papers). Derived, never edited: save() and the ingest's bulk writer
    # set them with the title and abstract; the search index's triggers read them.
    search_title = models.TextField(null=True, blank=True, editable=False)
    search_abstract = models.TextField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True, help_text="Latest version's date")
    primary_category = models.CharField(max_length=32, blank=True)
    categories = models.JSONField(default=list, blank=True)
    versions = models.JSONField(default=list, blank=True, help_text='[{"version": 1, "date": …}]')
    comments = models.TextField(blank=True, help_text="The author's arXiv comments line")
    journal_ref = models.CharField(max_length=500, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    license = models.URLField(max_length=300, blank=True)
    code_url = models.URLField(max_length=500, blank=True)
    project_url = models.URLField(max_length=500, blank=True)
    # Known only from imported Hugging Face data; kept so it is shown and served again.
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    media_urls = models.JSONField(default=list, blank=True)
    thumbnail = models.URLField(max_length=500, blank=True)
    ai_summary = models.TextField(blank=True)
    ai_keywords = models.JSONField(default=list, blank=True)
    ai_summary_model = models.CharField(max_length=100, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The Hub's id of the paper's discussion, when imported; else one is derived from pk.
    hub_discussion_id = models.CharField(max_length=64, blank=True)
    # Known even when the names are not (the demo papers say "7 authors").
    num_authors = models.PositiveIntegerField(null=True, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    authors: models.ManyToManyField[Author, PaperAuthor] = models.ManyToManyField(
        Author, through="PaperAuthor", related_name="papers"
    )
    # Set by moderators: a hidden paper leaves the feed pages and the API.
    hidden = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-published_at"], name="paper_published_idx")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_title = search_text(self.title)
        self.search_abstract = search_text(self.abstract)
        fields = kwargs.get("update_fields")
        if fields is not None and {"title", "abstract"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_title", "search_abstract"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        # Remembered per instance: a feed card links to its paper several times, and
        # reverse() was a quarter of rendering a page.
        cached = self.__dict__.get("_url")
        if cached is None or cached[0] != self.public_id:
            cached = self.__dict__["_url"] = (
                self.public_id,
                reverse("paper", args=[self.public_id]),
            )
        return str(cached[1])

    @property
    def searched_title(self) -> str:
        """The title as search indexes and embeds it (readable text)."""
        return self.title if self.search_title is None else self.search_title

    @property
    def searched_abstract(self) -> str:
        """The abstract as search indexes and embeds it (readable text)."""
        return self.abstract if self.search_abstract is None else self.search_abstract

    @property
    def readable_title(self) -> str:
        """The title as people read it, on pages, in feeds, mails, the Markdown view and
        the CLI: `Schr\\"odinger` as Schrödinger (papers/tex.py). The API and the export
        serve `title`, the authors' text, as the Hub does."""
        return readable(self.title)  # returns at once for a title without a backslash

    @property
    def title_html(self) -> SafeString:
        """The title as a heading shows it: readable text, formulas drawn as MathML."""
        return abstract_html(self.title)

    @property
    def readable_abstract(self) -> str:
        """The abstract as pages, feeds and mails show it: arXiv's TeX markup that has one
        plain reading written out (`91\\%` as 91 %, accents as letters; papers/tex.py)."""
        return readable(self.abstract)

    @property
    def abstract_html(self) -> SafeString:
        """The abstract as pages show it: readable text, formulas drawn as MathML."""
        return abstract_html(self.abstract)

    @property
    def arxiv_url(self) -> str:
        return ARXIV_ABS + self.arxiv_id if self.arxiv_id else ""

    @property
    def pdf_url(self) -> str:
        return ARXIV_PDF + self.arxiv_id if self.arxiv_id else ""

    def author_names(self) -> list[str]:
        """Names in paper order; uses names or rows the caller loaded (feed.entries loads
        names, see feed.attach_author_names; others prefetch paper_authors__author)."""
        names: list[str] | None = self.__dict__.get("_author_names")
        if names is not None:
            return names
        return [pa.author.name for pa in self.paper_authors.all()]

    def author_refs(self) -> list[tuple[int, str]]:
        """(author id, name) in paper order, for bylines that link to author pages."""
        refs: list[tuple[int, str]] | None = self.__dict__.get("_author_refs")
        if refs is not None:
            return refs
        return [(pa.author_id, pa.author.name) for pa in self.paper_authors.all()]

    @property
    def author_count(self) -> int | None:
        names = self.author_names()
        return len(names) if names else self.num_authors


class PaperAuthor(models.Model):
    """An author's place on one paper's byline."""

    # No index of its own: the unique (paper, position) index starts with it, and one
    # index fewer is one B-tree insert fewer per byline row on the ingest's hot path.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="paper_authors", db_index=False
    )
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="paper_authors")
    position = models.PositiveIntegerField()
    affiliation = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="paperauthor_position_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.paper_id}"


class FeedEntry(models.Model):
    """A paper's appearance in the daily feed.

    The feed date is the day the paper was announced or submitted here, not its
    publication date: old papers can be featured today.
    """

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="feed_entry")
    feed_date = models.DateField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    # Who submitted it when that person has no account here (imported feeds).
    submitter_name = models.CharField(max_length=150, blank=True)
    submitter_fullname = models.CharField(max_length=200, blank=True)
    submitter_avatar = models.URLField(max_length=500, blank=True)
    # The outer `publishedAt` of an imported Hub item, served again as given; when
    # empty, the item's publishedAt is submitted_at.
    listed_at = models.DateTimeField(null=True, blank=True)
    upvotes = models.PositiveIntegerField(default=0)
    num_comments = models.PositiveIntegerField(default=0)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "feed entries"
        indexes = [
            models.Index(
                fields=["feed_date", "-upvotes", "-submitted_at"], name="feed_date_rank_idx"
            ),
            models.Index(fields=["-submitted_at"], name="feed_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} on {self.feed_date}"


class DataVersion(models.Model):
    """A single row whose counter moves whenever feed data changes.

    Cached pages are keyed by it, so every process sees a change at once.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"data version {self.version}"


class SiteKey(models.Model):
    """The fingerprint of the secret key the site's processes sign with (a single row).

    Sessions, verification and reset links and every mailed digest link are signed with
    the secret key; a process with another key (a machine without PAPERWIRE_SECRET_KEY,
    or an install moved by `paperwire db copy` without it) would log members out and
    break those links. `web`, `worker` and `serve` compare their key with this row before
    they start (papers/secretkey.py); `db copy` carries it with the rest.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    fingerprint = models.CharField(max_length=64)
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"secret key {self.fingerprint[:12]}…"
