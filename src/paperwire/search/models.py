"""What search stores beside the papers: one embedding per paper and model.

The keyword index is an SQLite FTS5 table kept in sync by triggers (see
migrations/0002_fts.py); it has no model because Django has no FTS5 field.
"""

from __future__ import annotations

from django.db import models

from paperwire.papers.models import Paper


class PaperVector(models.Model):
    """A paper's embedding: float32 little-endian bytes, with the model that made it.

    A row whose `model` is not the configured model's key is stale and is
    re-embedded; `text_hash` says which title+abstract the vector is of.
    """

    paper = models.OneToOneField(
        Paper, on_delete=models.CASCADE, primary_key=True, related_name="search_vector"
    )
    model = models.CharField(max_length=200, db_index=True)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField()
    text_hash = models.CharField(max_length=64)
    embedded_at = models.DateTimeField()

    class Meta:
        # Each search process asks "how many, and the newest?" to see if its copy is stale.
        indexes = [models.Index(fields=["model", "embedded_at"], name="papervector_model_at_idx")]

    def __str__(self) -> str:
        return f"vector of {self.paper_id} by {self.model}"
