"""URL routes of billing (mounted at /billing/)."""

from django.urls import path

from clientela.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.invoice_list, name="invoice_list"),
    path("invoices/export.<str:fmt>", views.invoice_export, name="invoice_export"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/plan/", views.invoice_plan, name="invoice_plan"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf_view, name="invoice_pdf"),
    path("invoices/<int:pk>/pay/", views.payment_create, name="payment_create"),
    path("invoices/<int:pk>/void/", views.invoice_void, name="invoice_void"),
    path("payments/export.<str:fmt>", views.payment_export, name="payment_export"),
    path("payments/<int:pk>/delete/", views.payment_delete, name="payment_delete"),
    path("quotes/", views.quote_list, name="quote_list"),
    path("quotes/export.<str:fmt>", views.quote_export, name="quote_export"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf_view, name="quote_pdf"),
    path("quotes/<int:pk>/send/", views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/answer/", views.quote_decide, name="quote_decide"),
    path("quotes/<int:pk>/invoice/", views.invoice_create, name="invoice_create"),
    path("deals/<int:deal_pk>/quote/", views.quote_create, name="quote_create"),
    path("settings/", views.billing_settings_view, name="settings"),
]
