from django.urls import path

from finance.views import (
    kpi,
    month_end,
    payables,
    prices,
    productline,
    receivables,
    reports,
    structure,
)

app_name = "finance"

urlpatterns = [
    # Reports (毛利, 损益, 估值, 产品线)
    path("reports/margins/", reports.margins, name="margins"),
    path("reports/pnl/", reports.pnl, name="pnl"),
    path("reports/valuation/", reports.valuation, name="valuation"),
    path("reports/product-line/", productline.productline, name="productline"),
    path("kpi/", kpi.kpi, name="kpi"),
    # Product structure (商品结构表)
    path("structure/", structure.structure, name="structure"),
    # Payables (应付)
    path("bills/", payables.bill_list, name="bill_list"),
    path("bills/<int:pk>/", payables.bill_detail, name="bill_detail"),
    path("bills/<int:pk>/approve/", payables.bill_approve, name="bill_approve"),
    path("bills/<int:pk>/cancel/", payables.bill_cancel, name="bill_cancel"),
    path("bills/<int:pk>/pay/", payables.bill_pay, name="bill_pay"),
    path("bills/to-bill/", payables.orders_to_bill, name="orders_to_bill"),
    path("bills/new/<int:pk>/", payables.bill_new, name="bill_new"),
    path("payables/ageing/", payables.payables_ageing, name="payables_ageing"),
    path("payables/ageing/download/", payables.payables_ageing_xlsx, name="payables_ageing_xlsx"),
    # Price history (价格变动)
    path("prices/", prices.price_history, name="prices"),
    # Month end (月结)
    path("month-ends/", month_end.month_ends, name="month_ends"),
    path("month-ends/close/", month_end.month_end_close_view, name="month_end_close"),
    # Receivables (应收)
    path("receivables/", receivables.ageing, name="receivables_ageing"),
    path("receivables/invoices/", receivables.invoice_list, name="invoice_list"),
    path("receivables/invoices/issue/", receivables.invoices_issue, name="invoices_issue"),
    path("receivables/invoices/<int:pk>/", receivables.invoice_detail, name="invoice_detail"),
    path(
        "receivables/invoices/<int:pk>/credit-note/",
        receivables.credit_note_create,
        name="credit_note_create",
    ),
    path("receivables/credit-holds/", receivables.credit_holds, name="credit_holds"),
    path(
        "receivables/credit-holds/<int:pk>/release/",
        receivables.credit_hold_release,
        name="credit_hold_release",
    ),
]
