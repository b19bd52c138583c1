"""Shop pages: catalog and search, product (with the prescription flow), cart, checkout, orders
with tracking; the pharmacist's dispensing queue. As thin as the API: services do the work."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.rules import is_pharmacist
from accounts.selectors import patient_profile_list
from core.exceptions import DomainError
from pharmacy import selectors, services
from pharmacy.models import Order, Product
from pharmacy.product_texts import product_texts
from pharmacy.rules import RX_NOTICE, figure

# Complaints are about goods the buyer received (the service refuses the others).
COMPLAINABLE = frozenset({Order.Status.SHIPPED, Order.Status.DELIVERED})


class AddToCartForm(forms.Form):
    patient = forms.TypedChoiceField(label=gettext_lazy("For"), coerce=int)
    quantity = forms.IntegerField(label=gettext_lazy("Packs"), min_value=1, initial=1)
    prescription_item = forms.TypedChoiceField(
        label=gettext_lazy("Prescription"), coerce=int, required=False, empty_value=None
    )
    rx_notice_confirmed = forms.BooleanField(label=RX_NOTICE, required=False)

    def __init__(
        self, *args: Any, product: Product, patients: list, items: list, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["patient"]).choices = [
            (p.pk, p.real_name) for p in patients
        ]
        cast(forms.IntegerField, self.fields["quantity"]).max_value = (
            product.purchase_limit or figure("LINE_MAX_QUANTITY")
        )
        if product.is_prescription:
            self.fields["prescription_item"].required = True
            cast(forms.TypedChoiceField, self.fields["prescription_item"]).choices = [
                (
                    item.pk,
                    gettext_lazy(
                        "Rx #%(rx)s for %(patient)s, %(left)s packs left, valid until %(date)s"
                    )
                    % {
                        "rx": item.prescription_id,
                        "patient": item.prescription.patient.real_name,
                        "left": item.quantity_packs - item.purchased_packs,
                        "date": item.prescription.valid_until,
                    },
                )
                for item in items
            ]
            self.fields["rx_notice_confirmed"].required = True
        else:
            del self.fields["prescription_item"]
            del self.fields["rx_notice_confirmed"]


class CheckoutForm(forms.Form):
    delivery_method = forms.ChoiceField(
        label=gettext_lazy("Delivery"),
        choices=Order.DeliveryMethod.choices,
        initial=Order.DeliveryMethod.EXPRESS,
        widget=forms.RadioSelect,
    )
    recipient_name = forms.CharField(label=gettext_lazy("Recipient"), max_length=50)
    recipient_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    city = forms.CharField(label=gettext_lazy("City"), max_length=40)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200)


class MedicineBoxOrderForm(forms.Form):
    product = forms.TypedChoiceField(
        label=gettext_lazy("Medicine"), coerce=int, widget=forms.RadioSelect
    )
    quantity = forms.IntegerField(label=gettext_lazy("Packs"), min_value=1, max_value=99, initial=1)
    patient = forms.TypedChoiceField(label=gettext_lazy("For"), coerce=int)

    def __init__(self, *args: Any, items: list, patients: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["product"]).choices = [
            (
                item.product_id,
                f"{item.product.name} {item.product.pack_description} · ¥{item.product.price}",
            )
            for item in items
            if item.sellable > 0
        ]
        cast(forms.TypedChoiceField, self.fields["patient"]).choices = [
            (p.pk, p.real_name) for p in patients
        ]


class ComplaintForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What is wrong with the goods"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _refuse(request: HttpRequest, error: DomainError) -> None:
    if error.status_code == 404 and error.field is None:
        raise Http404 from error
    messages.error(request, error.message)


def catalog(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    category = request.GET.get("category", "")[:60]
    rx_param = request.GET.get("rx", "")
    rx = {"true": True, "false": False}.get(rx_param)
    products = selectors.product_list(q=q, category=category, rx=rx)
    page = Paginator(products, 24).get_page(request.GET.get("page"))
    return render(
        request,
        "pharmacy/catalog.html",
        {
            "page": page,
            "categories": selectors.category_tree(),
            "q": q,
            "current_category": category,
            "rx": rx_param,
        },
    )


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        product = selectors.product_get(product_id=pk)
    except DomainError as error:
        raise Http404 from error
    user = request.user
    items = selectors.purchasable_items_for_product(account=user, product=product)
    patients = list(patient_profile_list(account=user)) if user.is_authenticated else []
    form = AddToCartForm(product=product, patients=patients, items=items)
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        form = AddToCartForm(request.POST, product=product, patients=patients, items=items)
        if form.is_valid():
            try:
                services.cart_line_add(
                    account=user,
                    patient_id=form.cleaned_data["patient"],
                    product_id=product.pk,
                    quantity=form.cleaned_data["quantity"],
                    prescription_item_id=form.cleaned_data.get("prescription_item"),
                    rx_notice_confirmed=form.cleaned_data.get("rx_notice_confirmed", False),
                )
            except DomainError as error:
                _refuse(request, error)
            else:
                messages.success(request, _("Added to your cart."))
                return redirect("pharmacy:cart")
    return render(
        request,
        "pharmacy/product_detail.html",
        {
            "product": product,
            "texts": product_texts(product),
            "details_visible": selectors.product_details_visible(product=product, viewer=user),
            "prescription_items": items,
            "form": form,
            "rx_notice": RX_NOTICE,
        },
    )


def medicine_box(request: HttpRequest, code: str) -> HttpResponse:
    """The page a box's QR code opens: what the box has, and buying one item from it."""
    try:
        box = selectors.medicine_box_get(code=code)
    except DomainError as error:
        raise Http404 from error
    user = request.user
    patients = list(patient_profile_list(account=user)) if user.is_authenticated else []
    items = box.items_for_sale  # type: ignore[attr-defined]
    form = MedicineBoxOrderForm(items=items, patients=patients)
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        form = MedicineBoxOrderForm(request.POST, items=items, patients=patients)
        if form.is_valid():
            try:
                order = services.medicine_box_order_create(
                    account=user,
                    box_code=box.code,
                    product_id=form.cleaned_data["product"],
                    quantity=form.cleaned_data["quantity"],
                    patient_id=form.cleaned_data["patient"],
                )
            except DomainError as error:
                _refuse(request, error)
            else:
                return redirect("pharmacy:order-detail", pk=order.pk)
    return render(
        request,
        "pharmacy/medicine_box.html",
        {"box": box, "items": items, "form": form, "pay_minutes": _box_pay_minutes()},
    )


def _box_pay_minutes() -> int:
    return int(figure("BOX_PAYMENT_WINDOW").total_seconds() // 60)


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            line_id = int(request.POST.get("line", 0))
            if request.POST.get("action") == "remove":
                services.cart_line_remove(account=request.user, line_id=line_id)
            else:
                services.cart_line_update(
                    account=request.user,
                    line_id=line_id,
                    quantity=int(request.POST.get("quantity", 0)),
                )
        except ValueError:
            messages.error(request, _("Enter a whole number of packs."))
        except DomainError as error:
            _refuse(request, error)
        return redirect("pharmacy:cart")
    lines = selectors.cart_lines(account=request.user)
    total = selectors.cart_total(lines)
    return render(request, "pharmacy/cart.html", {"lines": lines, "total": total})


@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    lines = selectors.cart_lines(account=request.user)
    if not lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("pharmacy:catalog")
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_checkout(account=request.user, **form.cleaned_data)
        except DomainError as error:
            _refuse(request, error)
        else:
            return redirect("pharmacy:order-detail", pk=order.pk)
    total = selectors.cart_total(lines)
    return render(request, "pharmacy/checkout.html", {"form": form, "lines": lines, "total": total})


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.order_list(account=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "pharmacy/order_list.html", {"page": page})


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_get(account=request.user, order_id=pk)
        _order, shipment = selectors.shipment_for_order(account=request.user, order_id=pk)
    except DomainError as error:
        raise Http404 from error
    return render(
        request,
        "pharmacy/order_detail.html",
        {"order": order, "shipment": shipment, "cancellable": order.is_cancellable},
    )


@login_required
def order_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    """The quality complaint the order page points to (medicines are not returnable, so this is
    how a buyer reports a problem with what they received)."""
    try:
        order = selectors.order_get(account=request.user, order_id=pk)
    except DomainError as error:
        raise Http404 from error
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_complaint_submit(
                account=request.user, order_id=order.pk, text=form.cleaned_data["text"]
            )
        except DomainError as error:
            _refuse(request, error)
        else:
            messages.success(
                request, _("Thank you. Our pharmacy team will look into it and contact you.")
            )
            return redirect("pharmacy:order-detail", pk=order.pk)
    return render(
        request,
        "pharmacy/order_complaint.html",
        {"order": order, "form": form, "receivable": order.status in COMPLAINABLE},
    )


@login_required
@require_POST
def cart_fill_from_prescription(request: HttpRequest, prescription_id: int) -> HttpResponse:
    """去购药: the approved prescription's medicines into the cart, each as the cart would take
    it by hand; whatever cannot be added is said, the rest still goes in."""
    try:
        filled = services.cart_add_prescription(
            account=request.user,
            prescription_id=prescription_id,
            rx_notice_confirmed=bool(request.POST.get("rx_notice_confirmed")),
        )
    except DomainError as error:
        _refuse(request, error)
        return redirect("hospital:my-prescriptions")
    for problem in filled.problems:
        messages.warning(request, problem)
    if not filled.lines:
        return redirect("hospital:my-prescriptions")
    messages.success(
        request,
        _("The medicines of prescription #%(id)s are in your cart.") % {"id": prescription_id},
    )
    return redirect("pharmacy:cart")


@login_required
@require_POST
def order_pay(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        started = services.order_pay(account=request.user, order_id=pk)
    except DomainError as error:
        _refuse(request, error)
        return redirect("pharmacy:order-detail", pk=pk)
    return redirect(started.redirect_url)


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = services.order_cancel(
            order_id=pk,
            actor=request.user,
            account=request.user,
            reason=request.POST.get("reason", "")[:200],
        )
    except DomainError as error:
        _refuse(request, error)
    else:
        if order.status == Order.Status.REFUNDED:
            messages.success(request, _("Cancelled; the amount paid is being refunded."))
        else:
            messages.success(request, _("Cancelled."))
    return redirect("pharmacy:order-detail", pk=pk)


def _pharmacist(request: HttpRequest) -> None:
    if not is_pharmacist(request.user):
        raise PermissionDenied


@login_required
def dispensing_queue(request: HttpRequest) -> HttpResponse:
    _pharmacist(request)
    orders = list(selectors.dispensing_queue()[:50])
    return render(request, "pharmacy/dispensing_queue.html", {"orders": orders})


def _scanned_codes(request: HttpRequest) -> dict[int, list[str]]:
    # A scanner types each code and Enter: one box per line, codes split on any white space
    # or comma.
    codes: dict[int, list[str]] = {}
    for name in request.POST:
        line = name.removeprefix("codes-")
        if line != name and line.isdigit():
            value = request.POST.get(name, "")
            codes[int(line)] = value.replace(",", " ").replace("，", " ").split()[:500]
    return codes


@login_required
@require_POST
def dispense(request: HttpRequest, pk: int) -> HttpResponse:
    _pharmacist(request)
    approve = request.POST.get("action") != "refuse"
    try:
        order = services.order_dispense(
            order_id=pk,
            pharmacist=request.user,
            approve=approve,
            note=request.POST.get("note", "")[:180],
            traceability_codes=_scanned_codes(request),
        )
    except DomainError as error:
        _refuse(request, error)
    else:
        if approve:
            messages.success(
                request, _("Order %(number)s verified and picked.") % {"number": order.number}
            )
        else:
            messages.success(
                request, _("Order %(number)s refused and refunded.") % {"number": order.number}
            )
    return redirect("pharmacy:dispensing-queue")
