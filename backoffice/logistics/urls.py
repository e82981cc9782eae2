"""Staff pages of logistics, under /app/logistics/."""

from django.urls import path

from backoffice.logistics import views

app_name = "logistics"

urlpatterns = [
    path("stock/", views.stock_overview, name="stock"),
    path("products/<int:product_id>/", views.product_stock, name="product-stock"),
    path("products/<int:product_id>/receive/", views.product_receive, name="product-receive"),
    path("products/<int:product_id>/transfer/", views.product_transfer, name="product-transfer"),
    path("products/<int:product_id>/adjust/", views.product_adjust, name="product-adjust"),
    path("moves/", views.move_list, name="move-list"),
    path("deliveries/", views.delivery_list, name="delivery-list"),
    path("deliveries/pick-list/", views.pick_list, name="pick-list"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery-detail"),
    path("deliveries/<int:pk>/reserve/", views.delivery_reserve, name="delivery-reserve"),
    path("deliveries/<int:pk>/pick/", views.delivery_pick, name="delivery-pick"),
    path("deliveries/<int:pk>/pack/", views.delivery_pack, name="delivery-pack"),
    path("deliveries/<int:pk>/dispatch/", views.delivery_dispatch, name="delivery-dispatch"),
    path("deliveries/<int:pk>/deliver/", views.delivery_deliver, name="delivery-deliver"),
    path("deliveries/<int:pk>/cancel/", views.delivery_cancel, name="delivery-cancel"),
    path("counts/", views.count_list, name="count-list"),
    path("counts/<int:pk>/", views.count_detail, name="count-detail"),
    path("counts/<int:pk>/save/", views.count_save, name="count-save"),
    path("counts/<int:pk>/add/", views.count_add, name="count-add"),
    path("counts/<int:pk>/confirm/", views.count_confirm, name="count-confirm"),
    path("serials/", views.serial_lookup, name="serial-lookup"),
    path("warehouses/", views.warehouse_list, name="warehouse-list"),
]
