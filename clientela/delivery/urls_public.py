"""Public routes of sent e-mail: pixel, click, unsubscribe (/m/…) and provider webhooks."""

from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailjet import MailjetTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sparkpost import SparkPostTrackingWebhookView
from django.urls import path

from clientela.delivery import public

# Providers whose tracking webhooks need nothing but the basic-auth secret (ANYMAIL
# WEBHOOK_SECRET), at anymail's own paths so the providers' guides apply as written.
PROVIDER_WEBHOOKS = {
    "postmark": PostmarkTrackingWebhookView,
    "brevo": BrevoTrackingWebhookView,
    "mailjet": MailjetTrackingWebhookView,
    "sparkpost": SparkPostTrackingWebhookView,
}

app_name = "mail"
urlpatterns = [
    path("m/o/<str:token>/<str:sig>.gif", public.pixel, name="open"),
    path("m/c/<str:token>/<str:sig>/", public.click, name="click"),
    path("m/u/<str:token>/<str:sig>/", public.preferences, name="preferences"),
    *(
        path(f"anymail/{esp}/tracking/", view.as_view(), name=f"{esp}_webhook")
        for esp, view in PROVIDER_WEBHOOKS.items()
    ),
]
