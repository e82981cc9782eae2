from django.urls import path

from core.parties import views

app_name = "parties"

urlpatterns = [
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/new/", views.organization_create, name="organization-create"),
    path("organizations/lookup/", views.organization_lookup, name="organization-lookup"),
    path("organizations/bulk/", views.organization_bulk, name="organization-bulk"),
    path("organizations/duplicates/", views.organization_duplicates, name="organization-duplicates"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization-detail"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization-edit"),
    path("people/", views.person_list, name="person-list"),
    path("people/new/", views.person_create, name="person-create"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("people/<int:pk>/invite/", views.person_invite, name="person-invite"),
    *[
        pattern
        for kind, prefix in (("organization", "organizations"), ("person", "people"))
        for pattern in (
            path(
                f"{prefix}/<int:owner_pk>/addresses/new/",
                views.address_edit,
                {"owner_kind": kind},
                name=f"{kind}-address-create",
            ),
            path(
                f"{prefix}/<int:owner_pk>/addresses/<int:pk>/",
                views.address_edit,
                {"owner_kind": kind},
                name=f"{kind}-address-edit",
            ),
            path(
                f"{prefix}/<int:owner_pk>/addresses/<int:pk>/delete/",
                views.address_delete,
                {"owner_kind": kind},
                name=f"{kind}-address-delete",
            ),
        )
    ],
]
