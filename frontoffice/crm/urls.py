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
    path("accounts/export/", views.account_export, name="account-export"),
    path("accounts/import/", views.account_import, name="account-import"),
    path("accounts/import/template/", views.account_import_template, name="account-import-template"),
    path("accounts/import/<slug:token>/", views.account_import_job, name="account-import-job"),
    path("accounts/import/<slug:token>/confirm/", views.account_import_confirm, name="account-import-confirm"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/export/", views.contact_export, name="contact-export"),
    path("contacts/import/", views.contact_import, name="contact-import"),
    path("contacts/import/template/", views.contact_import_template, name="contact-import-template"),
    path("contacts/import/<slug:token>/", views.contact_import_job, name="contact-import-job"),
    path("contacts/import/<slug:token>/confirm/", views.contact_import_confirm, name="contact-import-confirm"),
]
