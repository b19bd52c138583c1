"""The claims benchmark: claims adjudicated through the real engine and accumulators
(insurance.services.claims.claim_adjudicate), against one hand-written SQL statement per claim
that applies the same arithmetic to the same rows.

The claims are on commercial policies of a plan the benchmark creates (a deductible,
coinsurance by category, a per-claim and an annual maximum; no waiting period, no exclusions,
no manual review), so the whole of the engine's arithmetic for them fits one statement:
the deductible, then the category's coinsurance rounded down, then the smaller of what is left
of the claim's and the year's maximum, line by line in date order. Both passes start from the
same state (the claims submitted, the years at zero) and take the claims in the same order, so
they must end with the same totals to the fen; the harness test checks they do.

Runs inside the benchmark process with Django set up on the benchmark database (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from django.db import connection, transaction

PLAN_CODE = "bench-claims-plan"
SERVICE_YEAR = 2026
CATEGORIES = ["drug_jia", "drug_yi", "drug_bing", "drug_unlisted", "visit"]
COINSURANCE_BP = {"drug_jia": 8000, "drug_yi": 7000, "drug_bing": 5000, "visit": 9000}
DEDUCTIBLE_FEN = 20_000
PER_CLAIM_MAXIMUM_FEN = 100_000
ANNUAL_MAXIMUM_FEN = 800_000


@dataclass(frozen=True)
class Totals:
    claims: int
    approved: int
    denied: int
    approved_fen: int
    deductible_used_fen: int
    lines_approved_fen: int
    years_paid_fen: int
    years_deductible_fen: int
    # Every claim's (id, status, approved, deductible used): equal totals by accident are not
    # equal work.
    digest: int


def claims_seed(*, claims: int, policies: int, seed: int = 7) -> list[int]:
    """`policies` patients on the bench plan and `claims` submitted claims of 1-5 lines spread
    over them; returns the claim ids in the order both passes take them."""

    from benchmarks.seed import patients_create
    from insurance.adjudication import ClaimLine as Line
    from insurance.adjudication import ItemCategory
    from insurance.models import (
        CategoryRatio,
        Claim,
        ClaimLine,
        Payer,
        Plan,
        PlanVersion,
        Policy,
        PolicyYear,
    )
    from insurance.services.claims import expense_fingerprint

    rng = random.Random(seed)
    with transaction.atomic():
        payer, _ = Payer.objects.get_or_create(
            code="bench-insurer", defaults={"name_zh": "基准保险", "kind": Payer.Kind.COMMERCIAL}
        )
        plan, _ = Plan.objects.get_or_create(
            code=PLAN_CODE,
            defaults={"payer": payer, "name_zh": "基准计划", "scheme": Plan.Scheme.COMMERCIAL},
        )
        version, _ = PlanVersion.objects.get_or_create(
            plan=plan,
            effective_from=dt.date(SERVICE_YEAR, 1, 1),
            defaults={
                "source": "benchmark",
                "deductible_fen": DEDUCTIBLE_FEN,
                "annual_cap_fen": ANNUAL_MAXIMUM_FEN,
                "per_claim_maximum_fen": PER_CLAIM_MAXIMUM_FEN,
            },
        )
        for category, ratio_bp in COINSURANCE_BP.items():
            CategoryRatio.objects.get_or_create(
                version=version, category=category, provider_level="", ratio_bp=ratio_bp
            )
        users, profiles = patients_create(
            count=policies,
            label=f"claimant-{seed}",
            name="参保人",
            birth_date=dt.date(1975, 1, 1),
        )
        held = Policy.objects.bulk_create(
            [
                Policy(
                    patient=p,
                    plan=plan,
                    member_number=f"B{seed}-{p.pk}",
                    starts_on=dt.date(SERVICE_YEAR - 1, 1, 1),
                    priority=2,
                )
                for p in profiles
            ]
        )
        # The years exist before either pass, so both start from the same rows.
        PolicyYear.objects.bulk_create(PolicyYear(policy=p, year=SERVICE_YEAR) for p in held)
        rows = Claim.objects.bulk_create(
            [
                Claim(
                    patient_id=held[i % policies].patient_id,
                    policy=held[i % policies],
                    expense_reference=f"bench-{seed}-{i}",
                    billed_fen=0,
                    submitted_by_id=users[i % policies].pk,
                )
                for i in range(claims)
            ]
        )
        lines, billed = [], {}
        for number, claim in enumerate(rows):
            day = dt.date(SERVICE_YEAR, 1, 1) + dt.timedelta(days=number * 300 // claims)
            total = 0
            for n in range(1, rng.randint(1, 5) + 1):
                amount = rng.randint(500, 60_000)
                total += amount
                lines.append(
                    ClaimLine(
                        claim=claim,
                        ref=f"L{n}",
                        # Most lines on the claim's day, some a day later: date order matters.
                        service_date=day + dt.timedelta(days=rng.random() < 0.2),
                        category=rng.choice(CATEGORIES),
                        # A code of its own, so no claim looks like another's duplicate.
                        code=f"C{claim.pk}-{n}",
                        billed_fen=amount,
                    )
                )
            billed[claim.pk] = total
        ClaimLine.objects.bulk_create(lines, batch_size=2000)
        by_claim: dict[int, list[Line]] = {}
        for line in lines:
            by_claim.setdefault(line.claim_id, []).append(
                Line(
                    line.ref,
                    line.service_date,
                    ItemCategory(line.category),
                    line.code,
                    line.billed_fen,
                )
            )
        for claim in rows:
            claim.billed_fen = billed[claim.pk]
            # As claim_submit stores it: the duplicate check compares it.
            claim.fingerprint = expense_fingerprint(by_claim[claim.pk])
        Claim.objects.bulk_update(rows, ["billed_fen", "fingerprint"], batch_size=2000)
    return [claim.pk for claim in rows]


def claims_reset(claim_ids: list[int]) -> None:
    """Back to submitted, nothing approved, the years at zero: the state both passes start in."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE insurance_claim SET status = 'submitted', review_reason = '', approved_fen = 0,"
            " deductible_used_fen = 0, decided_at = NULL WHERE id = ANY(%s)",
            [claim_ids],
        )
        cursor.execute(
            "UPDATE insurance_claimline SET proposed_fen = 0, approved_fen = 0, decision = '',"
            " reasons = '[]'::jsonb WHERE claim_id = ANY(%s)",
            [claim_ids],
        )
        cursor.execute(
            "UPDATE insurance_policyyear SET deductible_met_fen = 0, pool_paid_fen = 0"
            " WHERE policy_id IN (SELECT DISTINCT policy_id FROM insurance_claim"
            " WHERE id = ANY(%s))",
            [claim_ids],
        )


def engine_pass(claim_ids: list[int], *, deadline: float | None = None) -> tuple[int, int]:
    """Each claim through claim_adjudicate, one transaction each as the task runs it; stops at
    the deadline. Returns how many were adjudicated and the statements they sent."""
    from insurance.services.claims import claim_adjudicate

    statements = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    done = 0
    with connection.execute_wrapper(count):
        for claim_id in claim_ids:
            if deadline is not None and time.monotonic() > deadline:
                break
            claim_adjudicate(claim_id=claim_id)
            done += 1
    return done, statements


def orm_floor_pass(claim_ids: list[int], *, statements_per_claim: int) -> None:
    """What the ORM alone costs at the engine's number of statements a claim: as many reads of
    the claim by primary key, one transaction a claim, nothing computed or written. No engine
    through the ORM at that many statements can be faster than this."""
    from insurance.models import Claim

    for claim_id in claim_ids:
        with transaction.atomic():
            for _ in range(statements_per_claim):
                Claim.objects.filter(pk=claim_id).first()


# One statement per claim: lock the policy's year, split the lines in date order with running
# sums (the deductible left before each line; the coinsurance wanted before it, against the
# smaller of the claim's maximum and what the year has left), then write the lines, the claim
# and the year together. Ratios come from the version in force on the claim's first day, as the
# engine takes them (a ratio for any provider level; the claims name none). Every sum is cast
# back to bigint: PostgreSQL sums bigints as numeric, whose division would round, not truncate.
ADJUDICATE_SQL = """
WITH claim AS (
    SELECT c.id, c.policy_id, min(l.service_date) AS first_day
    FROM insurance_claim c JOIN insurance_claimline l ON l.claim_id = c.id
    WHERE c.id = %(claim_id)s AND c.status = 'submitted'
    GROUP BY c.id, c.policy_id
),
version AS (
    SELECT v.* FROM claim, insurance_policy p, LATERAL (
        SELECT * FROM insurance_planversion v
        WHERE v.plan_id = p.plan_id AND v.effective_from <= claim.first_day
        ORDER BY v.effective_from DESC LIMIT 1
    ) v
    WHERE p.id = claim.policy_id
),
year AS (
    SELECT y.id, y.deductible_met_fen, y.pool_paid_fen
    FROM insurance_policyyear y, claim
    WHERE y.policy_id = claim.policy_id AND y.year = extract(year FROM claim.first_day)
    FOR NO KEY UPDATE OF y
),
limits AS (
    SELECT greatest(v.deductible_fen - year.deductible_met_fen, 0) AS deductible_left,
           least(coalesce(v.per_claim_maximum_fen, v.annual_cap_fen),
                 greatest(v.annual_cap_fen - year.pool_paid_fen, 0)) AS pay_left,
           v.id AS version_id
    FROM version v, year
),
ordered AS (
    SELECT l.id, l.billed_fen, l.category,
           coalesce(sum(l.billed_fen) OVER w, 0)::bigint AS billed_before
    FROM insurance_claimline l, claim
    WHERE l.claim_id = claim.id
    WINDOW w AS (ORDER BY l.service_date, l.ref ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
deducted AS (
    SELECT o.id, o.billed_fen, o.category,
           least(o.billed_fen, greatest(limits.deductible_left - o.billed_before, 0))
               AS deductible
    FROM ordered o, limits
),
wanted AS (
    SELECT d.id, d.deductible,
           (d.billed_fen - d.deductible) * coalesce(r.ratio_bp, 0) / 10000 AS wanted
    FROM deducted d
    CROSS JOIN limits
    LEFT JOIN insurance_categoryratio r
        ON r.version_id = limits.version_id AND r.category = d.category AND r.provider_level = ''
),
running AS (
    SELECT w.id, w.deductible, w.wanted,
           coalesce(sum(w.wanted) OVER (ORDER BY l.service_date, l.ref
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS wanted_before
    FROM wanted w JOIN insurance_claimline l ON l.id = w.id
),
paid AS (
    SELECT r.id, r.deductible,
           least(r.wanted, greatest(limits.pay_left - r.wanted_before, 0)) AS pays
    FROM running r, limits
),
totals AS (
    SELECT coalesce(sum(pays), 0)::bigint AS pays,
           coalesce(sum(deductible), 0)::bigint AS deductible
    FROM paid
),
lines_written AS (
    UPDATE insurance_claimline l
    SET proposed_fen = paid.pays, approved_fen = paid.pays, decision = 'approve'
    FROM paid WHERE l.id = paid.id
    RETURNING l.id
),
year_written AS (
    UPDATE insurance_policyyear y
    SET deductible_met_fen = y.deductible_met_fen + totals.deductible,
        pool_paid_fen = y.pool_paid_fen + totals.pays
    FROM year, totals WHERE y.id = year.id
    RETURNING y.id
)
UPDATE insurance_claim c
SET status = CASE WHEN totals.pays > 0 THEN 'approved' ELSE 'denied' END,
    approved_fen = totals.pays, deductible_used_fen = totals.deductible, decided_at = now()
FROM claim, totals
WHERE c.id = claim.id
"""


def sql_pass(claim_ids: list[int]) -> int:
    """Each claim by the one statement, one transaction each."""
    with connection.cursor() as cursor:
        for claim_id in claim_ids:
            with transaction.atomic():
                cursor.execute(ADJUDICATE_SQL, {"claim_id": claim_id})
    return len(claim_ids)


def claims_totals(claim_ids: list[int]) -> Totals:
    from django.db.models import Count, Q, Sum

    from insurance.models import Claim, ClaimLine, PolicyYear

    claims = Claim.objects.filter(pk__in=claim_ids)
    figures = claims.aggregate(
        n=Count("id"),
        approved=Count("id", filter=Q(status=Claim.Status.APPROVED)),
        denied=Count("id", filter=Q(status=Claim.Status.DENIED)),
        approved_fen=Sum("approved_fen"),
        deductible=Sum("deductible_used_fen"),
    )
    lines = ClaimLine.objects.filter(claim_id__in=claim_ids).aggregate(s=Sum("approved_fen"))
    years = PolicyYear.objects.filter(
        policy_id__in=claims.values("policy_id"), year=SERVICE_YEAR
    ).aggregate(paid=Sum("pool_paid_fen"), deductible=Sum("deductible_met_fen"))
    digest = hash(
        tuple(
            claims.order_by("id").values_list("id", "status", "approved_fen", "deductible_used_fen")
        )
    )
    return Totals(
        claims=figures["n"],
        approved=figures["approved"],
        denied=figures["denied"],
        approved_fen=figures["approved_fen"] or 0,
        deductible_used_fen=figures["deductible"] or 0,
        lines_approved_fen=lines["s"] or 0,
        years_paid_fen=years["paid"] or 0,
        years_deductible_fen=years["deductible"] or 0,
        digest=digest,
    )


@dataclass(frozen=True)
class ClaimsResult:
    claims: int
    engine_seconds: float
    sql_seconds: float
    engine: Totals
    sql: Totals
    statements_per_claim: float = 0.0
    floor_seconds: float = 0.0

    @property
    def engine_rate(self) -> float:
        return self.claims / self.engine_seconds if self.engine_seconds else float("nan")

    @property
    def sql_rate(self) -> float:
        return self.claims / self.sql_seconds if self.sql_seconds else float("nan")

    @property
    def floor_rate(self) -> float:
        return self.claims / self.floor_seconds if self.floor_seconds else float("nan")

    @property
    def same_totals(self) -> bool:
        return self.engine == self.sql


def claims_compare(claim_ids: list[int], *, budget_seconds: float | None = None) -> ClaimsResult:
    """Both passes over the same claims from the same state. The engine pass goes first and may
    stop at the budget; the SQL pass then does exactly the claims it did."""
    claims_reset(claim_ids)
    started = time.monotonic()
    deadline = started + budget_seconds if budget_seconds else None
    done, statements = engine_pass(claim_ids, deadline=deadline)
    engine_seconds = time.monotonic() - started
    taken = claim_ids[:done]
    engine = claims_totals(taken)
    claims_reset(claim_ids)
    started = time.monotonic()
    sql_pass(taken)
    sql_seconds = time.monotonic() - started
    sql = claims_totals(taken)
    per_claim = statements / done if done else 0.0
    started = time.monotonic()
    orm_floor_pass(taken, statements_per_claim=round(per_claim))
    floor_seconds = time.monotonic() - started
    return ClaimsResult(done, engine_seconds, sql_seconds, engine, sql, per_claim, floor_seconds)
