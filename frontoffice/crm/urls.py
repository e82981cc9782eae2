from django.urls import path

from frontoffice.crm import views

app_name = "crm"

urlpatterns = [
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_open, name="account-open"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account-edit"),
    path("accounts/<int:account_pk>/activities/new/", views.activity_create, name="activity-create"),
    path("activities/", views.my_activities, name="my-activities"),
    path("merge/", views.customers_merge, name="merge"),
    path("activities/<int:pk>/toggle/", views.activity_toggle, name="activity-toggle"),
    path("contacts/<int:person_pk>/profile/", views.contact_profile_edit, name="contact-profile"),
]
