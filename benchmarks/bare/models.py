from django.db import models

from benchmarks.bare import TABLE


class ScratchProduct(models.Model):
    """A copy of the product table's listed rows; created and filled by benchmarks/run.py."""

    sku = models.CharField(max_length=40)
    kind = models.CharField(max_length=8)
    name_zh = models.CharField(max_length=120)
    name_en = models.CharField(max_length=160)
    brand = models.CharField(max_length=60)
    pack_description = models.CharField(max_length=80)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    is_prescription = models.BooleanField()
    purchase_limit = models.PositiveSmallIntegerField(null=True)
    category_id = models.BigIntegerField()
    image = models.CharField(max_length=100)
    stock_on_hand = models.IntegerField()
    stock_reserved = models.IntegerField()
    manufacturer = models.CharField(max_length=120)
    approval_number = models.CharField(max_length=40)
    description = models.TextField()

    class Meta:
        managed = False
        db_table = TABLE

    def __str__(self) -> str:
        return self.sku
