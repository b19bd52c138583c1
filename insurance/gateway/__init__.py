"""The national medical-insurance interface, behind an adapter.

In production the medical-insurance centre, not the provider, computes the social split: the
provider uploads fee lines and receives the split from pre-settlement. The interface below is
shaped like the national one, a method per transaction (1101, 2206, 2207, ...), with its own
field names; amounts cross it in integer fen. INSURANCE_GATEWAY names the adapter; the built-in
simulator (the default) acts as the centre, as the courier simulator stands for a courier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class FeeLine:
    """A fee detail (费用明细) as uploaded: our line, the national code (or "" when unmapped)."""

    feedetl_sn: str  # the line's reference
    fee_ocur_time: dt.date
    med_list_codg: str  # the national medical-insurance code
    medins_list_codg: str  # our item code
    category: str  # an ItemCategory value
    det_item_fee_sumamt: int  # fen
    diagnoses: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineDetail:
    """The centre's split of one fee line (结算明细)."""

    feedetl_sn: str
    det_item_fee_sumamt: int
    fulamt_ownpay_amt: int = 0  # 全自费
    preselfpay_amt: int = 0  # 先行自付
    act_pay_dedc: int = 0  # 起付线 consumed
    hifp_pay: int = 0  # 统筹
    acct_pay: int = 0  # 个人账户
    psn_cash_pay: int = 0  # 现金
    chronic: bool = False  # paid at the 门诊慢特病 ratio
    reasons: tuple[tuple[str, int], ...] = ()  # the simulator's reason codes, for explanations


@dataclass(frozen=True)
class SettleRequest:
    """2206 / 2207 and 6201 / 6202 input."""

    psn_no: str
    mdtrt_id: str  # our expense reference
    provider_level: str
    fee_lines: tuple[FeeLine, ...]
    pay_ord_id: str = ""  # 6202: the payment order 6201 opened


@dataclass(frozen=True)
class SettleAnswer:
    """2206 / 2207 and 6201 / 6202 output. medfee_sumamt == hifp_pay + acct_pay + psn_cash_pay."""

    medfee_sumamt: int
    fulamt_ownpay_amt: int
    preselfpay_amt: int
    act_pay_dedc: int
    hifp_pay: int
    acct_pay: int
    psn_cash_pay: int
    balc: int  # personal account balance after
    details: tuple[LineDetail, ...]
    setl_id: str = ""  # 2207 and 6202 only
    pay_ord_id: str = ""  # 6201: the payment order the patient then pays
    confirmed: bool = True  # False: a "success" the centre has not confirmed


@dataclass(frozen=True)
class InsuredPerson:
    """1101 output."""

    psn_no: str
    insutype: str
    balc: int
    in_force: bool


@dataclass(frozen=True)
class QueryAnswer:
    """6301 output."""

    setl_id: str
    settled: bool
    status: str  # settled, cancelled, reversed, unknown


@dataclass(frozen=True)
class DailyTotals:
    """3201: the day's totals as the centre has them."""

    day: dt.date
    setl_count: int
    medfee_sumamt: int
    hifp_pay: int
    acct_pay: int
    psn_cash_pay: int


@dataclass(frozen=True)
class PrescriptionLine:
    med_list_codg: str
    drug_name: str
    quantity: int


@dataclass(frozen=True)
class PrescriptionUploadRequest:
    """7101: the circulation of an approved prescription, codes and names only."""

    hosp_rxno: str  # our prescription reference
    psn_no: str
    diagnoses: tuple[str, ...]
    lines: tuple[PrescriptionLine, ...]
    doctor_name: str
    doctor_signature: str
    pharmacist_name: str
    pharmacist_signature: str


@dataclass(frozen=True)
class PrescriptionResult:
    """7101 output and 7102-7105 answers."""

    hosp_rxno: str
    hi_rxno: str
    status: str  # uploaded, revoked, dispensed...
    details: dict[str, str] = field(default_factory=dict)


class Gateway(Protocol):
    def insured_person_lookup(self, *, psn_no: str, on: dt.date) -> InsuredPerson: ...  # 1101

    def pre_settle(self, request: SettleRequest, *, lock: bool = False) -> SettleAnswer: ...  # 2206

    def settle(self, request: SettleRequest) -> SettleAnswer: ...  # 2207

    def cancel_settlement(self, *, setl_id: str) -> QueryAnswer: ...  # 2208

    def reverse(self, *, setl_id: str) -> QueryAnswer: ...  # 2601

    def upload_fees(self, request: SettleRequest) -> SettleAnswer: ...  # 6201

    def payment_order(self, request: SettleRequest) -> SettleAnswer: ...  # 6202

    def refund(self, *, setl_id: str) -> QueryAnswer: ...  # 6203

    def query(self, *, setl_id: str) -> QueryAnswer: ...  # 6301

    def daily_reconciliation(self, *, day: dt.date) -> DailyTotals: ...  # 3201

    def prescription_upload(self, request: PrescriptionUploadRequest) -> PrescriptionResult: ...

    def prescription_results(self, *, hosp_rxno: str) -> PrescriptionResult: ...  # 7102-7105


def get_gateway() -> Gateway:
    """The adapter INSURANCE_GATEWAY names (the simulator by default)."""
    gateway_class = import_string(settings.INSURANCE_GATEWAY)
    gateway: Gateway = gateway_class()
    return gateway
