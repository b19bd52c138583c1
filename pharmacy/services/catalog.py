"""Catalog upkeep: products follow the formulary drug they sell."""

from __future__ import annotations

from django.db import transaction

from pharmacy.models import Product


@transaction.atomic
def products_follow_drug(*, drug_id: int) -> int:
    """Re-derives the prescription flag, purchase limit and search text of every product of the
    drug, after the drug changed (reclassified OTC → Rx, renamed, restricted). From the commit
    on, a drug that became prescription-only is sold only against a prescription: its cart lines
    need the notice confirmed and an approved prescription item at checkout. Returns how many
    products changed."""
    changed = 0
    for product in Product.objects.select_related("drug").filter(drug_id=drug_id).order_by("pk"):
        before = (product.is_prescription, product.purchase_limit, product.search_text)
        product.sync_from_drug()
        if (product.is_prescription, product.purchase_limit, product.search_text) != before:
            product.save(update_fields=["is_prescription", "purchase_limit", "search_text"])
            changed += 1
    return changed
