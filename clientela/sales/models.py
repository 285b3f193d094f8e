"""Sales plan rows: what each rep should win, per pipeline and month."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.deals.models import Pipeline


class SalesTarget(models.Model):
    """One rep's target for one pipeline and month: amount won (company currency) and deals won."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(_("amount target"), max_digits=16, decimal_places=2, default=0)
    deals = models.PositiveIntegerField(_("deals target"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["month", "pipeline", "owner"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "pipeline", "month"], name="salestarget_one_per_month"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="salestarget_amount_positive"),
        ]
        indexes = [models.Index(fields=["pipeline", "month"], name="salestarget_month_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.pipeline_id} · {self.month:%Y-%m}"
