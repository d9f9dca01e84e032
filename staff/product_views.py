"""The product page (商品详情), the flow board (商品流程看板), the catalogue search (商品搜索)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from catalog.models import Product
from staff import flow, product_page, search
from staff.roles import Role

VIEW_PRODUCT = "catalog.view_product"
PAGE_SIZE = 50


@login_required
@permission_required(VIEW_PRODUCT, raise_exception=True)
def product(request, pk):
    """Show one product and its SKUs as far as the user's roles may see them, and its flow."""
    found = get_object_or_404(Product, pk=pk)
    return render(request, "staff/product.html", product_page.product_page(request.user, found))


@login_required
@permission_required(VIEW_PRODUCT, raise_exception=True)
def product_flow_board(request):
    """List products by the first stage of their flow still pending; filtered by a role, the
    list is that team's to-do list."""
    role = request.GET.get("role", "")
    if role not in Role.values:
        role = ""
    page = Paginator(flow.flow_board(role=role), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/product_flow.html",
        {
            "page": page,
            "rows": flow.board_rows(page.object_list),
            "computed_at": flow.flow_computed_at(),
            "role": role,
            "roles": Role.choices,
            "query": f"role={role}" if role else "",
        },
    )


@login_required
@permission_required(VIEW_PRODUCT, raise_exception=True)
def product_search(request):
    """Search the catalogue by text and facets (see ``staff.search``)."""
    return render(
        request, "staff/search.html", {"result": search.catalogue_search(request.user, request.GET)}
    )
