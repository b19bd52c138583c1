from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from pharmacy.models import Order, Product
from pharmacy.rules import RX_NOTICE, figure


class AddToCartForm(forms.Form):
    patient = forms.TypedChoiceField(label=_("For"), coerce=int)
    quantity = forms.IntegerField(label=_("Packs"), min_value=1, initial=1)
    prescription_item = forms.TypedChoiceField(
        label=_("Prescription"), coerce=int, required=False, empty_value=None
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
                    _("Rx #%(rx)s for %(patient)s, %(left)s packs left, valid until %(date)s")
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
        label=_("Delivery"),
        choices=Order.DeliveryMethod.choices,
        initial=Order.DeliveryMethod.EXPRESS,
        widget=forms.RadioSelect,
    )
    recipient_name = forms.CharField(label=_("Recipient"), max_length=50)
    recipient_phone = forms.CharField(label=_("Phone"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=40)
    address = forms.CharField(label=_("Address"), max_length=200)
