"""Background jobs visible to users: progress, counts, row errors and a resumable checkpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.job_titles import job_title


class JobState(models.TextChoices):
    """Where a job is in its life."""

    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Job(models.Model):
    """A long piece of work (import, export, recompute) run by the worker in resumable steps."""

    kind = models.CharField(_("kind"), max_length=40)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Only jobs stored before titles were rendered at read time have one (display_title).
    title = models.CharField(_("title"), max_length=200, blank=True)
    file = models.CharField(_("file"), max_length=500, blank=True)
    options = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    counts = models.JSONField(default=dict, blank=True)
    checkpoint = models.PositiveIntegerField(
        default=0, help_text="last spreadsheet line fully processed"
    )
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "kind"], name="job_state_kind_idx")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """Return the job's title in the reader's language (core.job_titles).

        It is rendered from the kind and options; `title` is only what older versions stored.
        """
        return job_title(self.kind, self.options, self.title)

    @property
    def percent(self) -> int:
        """Progress in whole percent."""
        if self.state == JobState.DONE:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        """Whether the job will not change any more."""
        return self.state in {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


class JobRowError(models.Model):
    """One rejected input row of a job, with its spreadsheet line, column and reason."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    reason = models.TextField(_("reason"))
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="jobrowerror_job_line_idx")]

    def __str__(self) -> str:
        return f"{self.line}: {self.column} {self.reason}"


class ScheduleState(models.Model):
    """When a registered schedule runs next; claimed atomically by the scheduler loop."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self) -> str:
        return f"{self.name} @ {self.next_run_at:%Y-%m-%d %H:%M}"
