"""Demo payers: one social scheme with published figures and one commercial plan, the demo
patient insured by both, and their claims (insurance.demo_claims)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.demo import DEMO_PATIENT_EMAIL
from accounts.models import PatientProfile
from insurance.demo_claims import seed_claims_demo
from insurance.models import (
    CategoryRatio,
    ChronicDisease,
    DrugCodeMapping,
    Exclusion,
    Payer,
    Plan,
    PlanVersion,
    Policy,
    ProviderLevel,
)

EMPLOYEE_PLAN = "beijing-employee-outpatient"
COMMERCIAL_PLAN = "xinglin-outpatient-plus"

# Beijing's employee (在职) outpatient benefits as published for 2023: deductible ¥1,800,
# 90 % at community providers and 70 % elsewhere, ¥20,000 a year. The 乙类 first portion and
# the chronic-disease figures are this demo's own, said so in the source.
EMPLOYEE_SOURCE = (
    "北京市医疗保障局 职工基本医疗保险门诊待遇（2023年）：在职职工起付线1800元，社区90%、"
    "其他定点机构70%，年度封顶2万元；乙类先行自付10%及门诊慢特病比例为演示取值"
)
COMMERCIAL_SOURCE = "杏林门诊补充医疗保险条款（演示，2026年版）"


def _ratios(version: PlanVersion, rows: list[tuple[str, str, int]]) -> None:
    for category, level, ratio in rows:
        CategoryRatio.objects.update_or_create(
            version=version,
            category=category,
            provider_level=level,
            defaults={"ratio_bp": ratio},
        )


# 对码 of the demo formulary's drugs, by formulary code. The national codes
# follow the national medical-insurance drug code's layout (X + ATC + form + serial) but are
# made up for the demo: the real ones come from the centre's catalogue download.
DEMO_DRUG_CODES: list[tuple[str, str, str]] = [
    ("metformin-500mg-tab", "XA10BAE054A001010101445", "盐酸二甲双胍片"),
    ("metformin-500mg-srtab", "XA10BAE054A010010101445", "盐酸二甲双胍缓释片"),
    ("amlodipine-5mg-tab", "XC08CAA017A001010100785", "苯磺酸氨氯地平片"),
    ("losartan-50mg-tab", "XC09CAL054A001010101573", "氯沙坦钾片"),
    ("atorvastatin-20mg-tab", "XC10AAA059A001010101566", "阿托伐他汀钙片"),
    ("omeprazole-20mg-eccap", "XA02BCA211E001010101483", "奥美拉唑肠溶胶囊"),
]


def _seed_drug_codes() -> None:
    for item_code, national_code, name in DEMO_DRUG_CODES:
        DrugCodeMapping.objects.update_or_create(
            item_code=item_code,
            valid_from=dt.date(2024, 1, 1),
            defaults={"national_code": national_code, "national_name": name},
        )


def seed_demo_data(*, stdout: Any) -> None:
    _seed_drug_codes()
    social, _ = Payer.objects.update_or_create(
        code="beijing-healthcare-security",
        defaults={
            "name_zh": "北京市医疗保障局",
            "name_en": "Beijing Healthcare Security Administration",
            "kind": Payer.Kind.SOCIAL,
        },
    )
    employee, _ = Plan.objects.update_or_create(
        code=EMPLOYEE_PLAN,
        defaults={
            "payer": social,
            "name_zh": "北京市职工基本医疗保险（门诊）",
            "name_en": "Beijing employee basic medical insurance (outpatient)",
            "scheme": Plan.Scheme.EMPLOYEE,
        },
    )
    version, _ = PlanVersion.objects.update_or_create(
        plan=employee,
        effective_from=dt.date(2023, 1, 1),
        defaults={
            "source": EMPLOYEE_SOURCE,
            "deductible_fen": 180_000,
            "annual_cap_fen": 2_000_000,
            "yi_self_paid_bp": 1000,
            "chronic_ratio_bp": 8000,
            "chronic_annual_cap_fen": 1_000_000,
            "account_usable": True,
        },
    )
    _ratios(
        version,
        [
            (category, level, ratio)
            for category in ("drug_jia", "drug_yi", "visit")
            for level, ratio in ((ProviderLevel.PRIMARY, 9000), (ProviderLevel.ANY, 7000))
        ],
    )
    for prefix, name in (("I10", "高血压"), ("E11", "2型糖尿病"), ("J45", "哮喘")):
        ChronicDisease.objects.update_or_create(
            version=version, icd10_prefix=prefix, defaults={"name": name}
        )

    insurer, _ = Payer.objects.update_or_create(
        code="xinglin-demo-insurer",
        defaults={
            "name_zh": "示例健康保险公司",
            "name_en": "Demo Health Insurance Co.",
            "kind": Payer.Kind.COMMERCIAL,
        },
    )
    plus, _ = Plan.objects.update_or_create(
        code=COMMERCIAL_PLAN,
        defaults={
            "payer": insurer,
            "name_zh": "杏林门诊补充医疗保险",
            "name_en": "Xinglin outpatient supplementary plan",
            "scheme": Plan.Scheme.COMMERCIAL,
        },
    )
    plus_version, _ = PlanVersion.objects.update_or_create(
        plan=plus,
        effective_from=dt.date(2026, 1, 1),
        defaults={
            "source": COMMERCIAL_SOURCE,
            "deductible_fen": 20_000,
            "annual_cap_fen": 1_000_000,
            "per_claim_maximum_fen": 200_000,
            "waiting_days": 30,
            "manual_review_over_fen": 100_000,
            # Health bonus: readings on 20 days of a month, 70 % in range: ¥500 more cover.
            "incentive_min_days": 20,
            "incentive_in_range_bp": 7000,
            "incentive_bonus_fen": 50_000,
        },
    )
    _ratios(
        plus_version,
        [
            ("drug_jia", ProviderLevel.ANY, 8000),
            ("drug_yi", ProviderLevel.ANY, 8000),
            ("drug_bing", ProviderLevel.ANY, 5000),
            ("visit", ProviderLevel.ANY, 8000),
        ],
    )
    for kind, code in ((Exclusion.Kind.DIAGNOSIS, "O"), (Exclusion.Kind.DIAGNOSIS, "Z30")):
        Exclusion.objects.get_or_create(version=plus_version, kind=kind, code=code)

    patient = PatientProfile.objects.filter(
        account__email=DEMO_PATIENT_EMAIL, relationship=PatientProfile.Relationship.SELF
    ).first()
    if patient is None:
        return
    Policy.objects.get_or_create(
        plan=employee,
        member_number="11010519800517001",
        defaults={
            "patient": patient,
            "starts_on": dt.date(2023, 1, 1),
            "priority": 1,
            "account_balance_fen": 80_000,
        },
    )
    commercial_policy, _ = Policy.objects.get_or_create(
        plan=plus,
        member_number="XL-2026-000187",
        defaults={"patient": patient, "starts_on": dt.date(2026, 1, 1), "priority": 2},
    )
    stdout.write("Insurance: a social scheme and a commercial plan; the demo patient has both.")
    seed_claims_demo(policy=commercial_policy, stdout=stdout)
