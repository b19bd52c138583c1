"""The formulary: what each drug the hospital may prescribe *is* (not what the shop sells).

Rows are upserted from `hospital/data/formulary.csv` by `manage.py load_formulary`, parsed by
`hospital.knowledge.drug_from_row` so the file has one parser. Decision support still reads the
files (through `hospital.knowledge`), so both always agree on a drug's code.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class FormularyDrugQuerySet(models.QuerySet["FormularyDrug"]):
    def sellable_online(self) -> FormularyDrugQuerySet:
        """Active drugs that may be prescribed and sold online (control class normal)."""
        return self.filter(is_active=True, control_class=FormularyDrug.ControlClass.NORMAL)


class FormularyDrug(models.Model):
    class RxClass(models.TextChoices):
        RX = "rx", _("Prescription only")
        OTC_A = "otc_a", _("OTC class A (甲类)")
        OTC_B = "otc_b", _("OTC class B (乙类)")

    class ControlClass(models.TextChoices):
        NORMAL = "normal", _("Normal")
        NARCOTIC = "narcotic", _("Narcotic (麻醉药品)")
        PSYCHOTROPIC_1 = "psychotropic_1", _("Psychotropic class I (第一类精神药品)")
        PSYCHOTROPIC_2 = "psychotropic_2", _("Psychotropic class II (第二类精神药品)")
        MEDICAL_TOXIC = "medical_toxic", _("Medical toxic (医疗用毒性药品)")
        RADIOACTIVE = "radioactive", _("Radioactive (放射性药品)")
        PRECURSOR = "precursor", _("Precursor chemical (易制毒)")
        VACCINE = "vaccine", _("Vaccine (疫苗)")
        BLOOD_PRODUCT = "blood_product", _("Blood product (血液制品)")

    class InsuranceCategory(models.TextChoices):
        JIA = "jia", _("Category A (甲类)")
        YI = "yi", _("Category B (乙类)")
        BING = "bing", _("Category C (丙类)")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    generic_name_zh = models.CharField(_("generic name (Chinese)"), max_length=100)
    generic_name_en = models.CharField(_("generic name (English)"), max_length=150)
    ingredients = models.CharField(
        _("ingredients"), max_length=300, help_text=_("Lowercase INN names separated by ';'.")
    )
    atc_code = models.CharField(_("ATC code"), max_length=10, db_index=True)
    strength = models.CharField(_("strength"), max_length=200, blank=True)
    strength_value = models.DecimalField(
        _("strength value"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    strength_unit = models.CharField(_("strength unit"), max_length=20, blank=True)
    dosage_form = models.CharField(_("dosage form"), max_length=60, blank=True)
    route = models.CharField(_("route"), max_length=30, blank=True)
    dose_unit = models.CharField(_("dose unit"), max_length=20)
    pack_size = models.PositiveIntegerField(_("units per pack"), null=True, blank=True)
    pack_unit = models.CharField(_("pack unit"), max_length=30, blank=True)
    rx_class = models.CharField(_("Rx class"), max_length=8, choices=RxClass.choices)
    control_class = models.CharField(
        _("control class"), max_length=16, choices=ControlClass.choices, default=ControlClass.NORMAL
    )
    adult_max_daily_dose = models.DecimalField(
        _("adult maximum daily dose"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    long_term_allowed = models.BooleanField(_("long-term prescribing allowed"), default=False)
    insurance_category = models.CharField(
        _("insurance category"), max_length=4, choices=InsuranceCategory.choices, blank=True
    )
    national_code = models.CharField(_("national drug code"), max_length=40, blank=True)
    sale_restriction = models.CharField(_("sale restriction"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive drugs cannot be newly prescribed.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = FormularyDrugQuerySet.as_manager()

    class Meta:
        verbose_name = _("formulary drug")
        verbose_name_plural = _("formulary drugs")
        ordering = ["generic_name_en", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pack_size__isnull=True) | Q(pack_size__gt=0),
                name="formulary_drug_pack_size_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.generic_name_zh} {self.strength} ({self.code})".replace("  ", " ")

    @property
    def is_forbidden_online(self) -> bool:
        return self.control_class != self.ControlClass.NORMAL

    @property
    def ingredient_list(self) -> list[str]:
        return [i.strip() for i in self.ingredients.split(";") if i.strip()]
