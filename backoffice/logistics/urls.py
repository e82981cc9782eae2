"""Staff pages of logistics, under /app/logistics/."""

from django.urls import path

from backoffice.logistics import purchase_views, views

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
    # purchasing, production and returns (purchase_views)
    path("purchases/", purchase_views.purchase_list, name="purchase-list"),
    path("purchases/new/", purchase_views.purchase_create, name="purchase-create"),
    path("purchases/reorder/", purchase_views.reorder_list, name="reorder-list"),
    path("purchases/reorder/check/", purchase_views.reorder_check, name="reorder-check"),
    path("purchases/reorder/new/", purchase_views.reorder_create, name="reorder-create"),
    path("purchases/reorder/<int:pk>/edit/", purchase_views.reorder_edit, name="reorder-edit"),
    path("purchases/<int:pk>/", purchase_views.purchase_detail, name="purchase-detail"),
    path("purchases/<int:pk>/pdf/", purchase_views.purchase_pdf, name="purchase-pdf"),
    path("purchases/<int:pk>/send/", purchase_views.purchase_send, name="purchase-send"),
    path("purchases/<int:pk>/confirm/", purchase_views.purchase_confirm, name="purchase-confirm"),
    path("purchases/<int:pk>/cancel/", purchase_views.purchase_cancel, name="purchase-cancel"),
    path("purchases/<int:pk>/receive/", purchase_views.purchase_receive, name="purchase-receive"),
    path("production/", purchase_views.production_list, name="production-list"),
    path("production/new/", purchase_views.production_create, name="production-create"),
    path("production/boms/", purchase_views.bom_list, name="bom-list"),
    path("production/boms/new/", purchase_views.bom_create, name="bom-create"),
    path("production/boms/<int:pk>/", purchase_views.bom_detail, name="bom-detail"),
    path("production/<int:pk>/", purchase_views.production_detail, name="production-detail"),
    path("production/<int:pk>/reserve/", purchase_views.production_reserve, name="production-reserve"),
    path("production/<int:pk>/complete/", purchase_views.production_complete, name="production-complete"),
    path("production/<int:pk>/cancel/", purchase_views.production_cancel, name="production-cancel"),
    path("returns/", purchase_views.return_list, name="return-list"),
    path("returns/new/", purchase_views.return_create, name="return-create"),
    path("returns/<int:pk>/", purchase_views.return_detail, name="return-detail"),
    path("returns/<int:pk>/receive/", purchase_views.return_receive, name="return-receive"),
]
