from django.urls import path

from finance.views import reports

app_name = "finance"

urlpatterns: list = [
    path("reports/margins/", reports.margins, name="margins"),
    path("reports/pnl/", reports.pnl, name="pnl"),
    path("reports/valuation/", reports.valuation, name="valuation"),
]
