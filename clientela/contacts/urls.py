from django.urls import path

from clientela.contacts import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="contact_list"),
    path("companies/", views.company_list, name="company_list"),
    path("search/", views.contact_list, name="search"),
]
