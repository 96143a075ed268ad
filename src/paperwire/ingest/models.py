"""Where a harvest stands (checkpoints) and when scheduled jobs last ran."""

from __future__ import annotations

from django.db import models


class Checkpoint(models.Model):
    """Progress of one harvest scope, saved in the same transaction as the papers of
    each page, so a killed run resumes with no gap and no duplicate."""

    scope = models.CharField(max_length=300, unique=True)
    source = models.CharField(max_length=16)
    # Where to go on: {"token": …} (OAI-PMH), {"start": …} (API), {"announced": …} (RSS).
    state = models.JSONField(default=dict, blank=True)
    done = models.BooleanField(default=False)
    pages = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]

    def __str__(self) -> str:
        return self.scope


class ScheduledRun(models.Model):
    """One row per scheduled job: the day it last ran. Workers claim a day with a
    conditional UPDATE, so two workers never run the same job twice."""

    name = models.CharField(max_length=100, unique=True)
    last_date = models.DateField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    # Written every minute by the process running the job: a run whose heartbeat stopped
    # (its worker died) is taken over by another worker (jobs.LEASE).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.last_date})"
