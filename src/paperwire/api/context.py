"""What the community knows about papers being written out in the Hub's shapes."""

from __future__ import annotations

from collections.abc import Iterable

from paperwire.community.models import AuthorClaim
from paperwire.papers.hfjson import ClaimedAuthor, HubContext
from paperwire.papers.models import Paper


def hub_context(papers: Iterable[Paper]) -> HubContext:
    """Approved authorship claims of these papers' authors, in one query."""
    author_ids = {author_id for paper in papers for author_id, _ in paper.author_refs()}
    if not author_ids:
        return HubContext()
    claims = (
        AuthorClaim.objects.filter(author_id__in=author_ids, status=AuthorClaim.APPROVED)
        .select_related("user")
        .order_by("decided_at", "pk")
    )
    # One claimant per author name: the first approved.
    claimed: dict[int, ClaimedAuthor] = {}
    for claim in claims:
        claimed.setdefault(claim.author_id, ClaimedAuthor(claim.user, claim.decided_at))
    return HubContext(claimed=claimed)
