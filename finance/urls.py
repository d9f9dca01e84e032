from django.urls import path

from finance.views import month_end, productline, reports

app_name = "finance"

urlpatterns = [
    path("reports/margins/", reports.margins, name="margins"),
    path("reports/pnl/", reports.pnl, name="pnl"),
    path("reports/valuation/", reports.valuation, name="valuation"),
    path("reports/product-line/", productline.productline, name="productline"),
    path("month-ends/", month_end.month_ends, name="month_ends"),
    path("month-ends/close/", month_end.month_end_close_view, name="month_end_close"),
]
