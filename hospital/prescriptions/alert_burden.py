"""Alert burden: how often decision support speaks, and how often people heed it.

Runs the checker again over every prescription with the current knowledge (so a change to the
knowledge files shows its effect before the pharmacists feel it) and reads what prescribers and
pharmacists answered to the findings stored when each was signed: the prescriber's override
reasons and the pharmacist's interventions, rule by rule."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q

from hospital.prescriptions.decision_support.knowledge import Severity
from hospital.prescriptions.decision_support.knowledge_files import get_knowledge
from hospital.prescriptions.models import (
    FindingIntervention,
    Prescription,
    PrescriptionFinding,
)
from hospital.prescriptions.services.findings import prescription_recheck

# Findings a prescriber must answer with a reason to sign.
ANSWERED_SEVERITIES = (Severity.MAJOR.value, Severity.CONTRAINDICATED.value)


@dataclass(frozen=True)
class RuleAnswers:
    """For one rule: how often it was on a signed prescription, how often the prescriber kept
    the drug with a reason, and the pharmacists' interventions by outcome."""

    rule_id: str
    signed: int
    overridden: int
    interventions: dict[str, int] = field(default_factory=dict)

    @property
    def override_rate(self) -> float:
        return self.overridden / self.signed if self.signed else 0.0


@dataclass(frozen=True)
class AlertBurdenReport:
    knowledge_version: str
    prescriptions: int
    with_major: int  # at least one major or contraindicated finding
    with_contraindicated: int
    findings_by_severity: dict[str, int]
    # rule → (prescriptions it fires on, its severity)
    rule_counts: list[tuple[str, int, str]]
    answers: list[RuleAnswers]

    @property
    def major_share(self) -> float:
        return self.with_major / self.prescriptions if self.prescriptions else 0.0


def alert_burden_report() -> AlertBurdenReport:
    """Raises KnowledgeUnavailable when the knowledge files cannot be loaded."""
    knowledge = get_knowledge()
    prescriptions = (
        Prescription.objects.exclude(status=Prescription.Status.VOID)
        .select_related("patient")
        .order_by("pk")
    )
    total = with_major = with_contraindicated = 0
    by_severity: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    rule_severity: dict[str, str] = {}
    for prescription in prescriptions.iterator(chunk_size=200):
        findings = prescription_recheck(prescription, knowledge=knowledge)
        total += 1
        ranks = {f.severity.rank for f in findings}
        with_major += max(ranks, default=-1) >= Severity.MAJOR.rank
        with_contraindicated += Severity.CONTRAINDICATED.rank in ranks
        by_severity.update(str(f.severity) for f in findings)
        for rule_id in {f.rule_id for f in findings}:
            by_rule[rule_id] += 1
        for finding in findings:
            rule_severity.setdefault(finding.rule_id, str(finding.severity))
    rule_counts = [
        (rule_id, count, rule_severity[rule_id])
        for rule_id, count in sorted(by_rule.items(), key=lambda pair: (-pair[1], pair[0]))
    ]
    return AlertBurdenReport(
        knowledge_version=knowledge.version,
        prescriptions=total,
        with_major=with_major,
        with_contraindicated=with_contraindicated,
        findings_by_severity=dict(by_severity),
        rule_counts=rule_counts,
        answers=rule_answers(),
    )


def rule_answers() -> list[RuleAnswers]:
    """Per rule, over the findings stored on signed prescriptions: override rate and the
    pharmacists' interventions. Most often answered first."""
    signed = (
        PrescriptionFinding.objects.filter(severity__in=ANSWERED_SEVERITIES)
        .exclude(prescription__signature="")
        .values("rule_id")
        .annotate(
            signed=Count("id"),
            overridden=Count("id", filter=~Q(override_reason="")),
        )
    )
    outcomes: dict[str, dict[str, int]] = {}
    for row in FindingIntervention.objects.values("rule_id", "outcome").annotate(n=Count("id")):
        outcomes.setdefault(row["rule_id"], {})[row["outcome"]] = row["n"]
    answers = {
        row["rule_id"]: RuleAnswers(
            row["rule_id"], row["signed"], row["overridden"], outcomes.get(row["rule_id"], {})
        )
        for row in signed
    }
    for rule_id, counts in outcomes.items():
        answers.setdefault(rule_id, RuleAnswers(rule_id, 0, 0, counts))
    return sorted(answers.values(), key=lambda a: (-a.signed, -a.overridden, a.rule_id))


def alert_burden_lines(report: AlertBurdenReport, *, top: int = 10) -> list[str]:
    """The report as text an operator reads in a terminal."""

    def percent(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f}%" if whole else "—"

    lines = [
        f"Decision support alert burden (knowledge {report.knowledge_version})",
        f"Prescriptions checked: {report.prescriptions}",
        f"With at least one major finding: {report.with_major} "
        f"({percent(report.with_major, report.prescriptions)})",
        f"With a contraindication: {report.with_contraindicated} "
        f"({percent(report.with_contraindicated, report.prescriptions)})",
        "Findings by severity: "
        + (
            ", ".join(
                f"{severity.value} {report.findings_by_severity[severity.value]}"
                for severity in Severity
                if report.findings_by_severity.get(severity.value)
            )
            or "none"
        ),
        "",
        f"Most frequent rules (top {top}): prescriptions, share, severity",
    ]
    for rule_id, count, severity in report.rule_counts[:top]:
        lines.append(f"  {rule_id}: {count} ({percent(count, report.prescriptions)}), {severity}")
    if not report.rule_counts:
        lines.append("  none")
    lines += [
        "",
        "Answers per rule (signed prescriptions): major findings, overridden, rate; "
        "pharmacists accepted/rejected/changed",
    ]
    for answer in report.answers:
        outcomes = "/".join(
            str(answer.interventions.get(o, 0)) for o in FindingIntervention.Outcome.values
        )
        lines.append(
            f"  {answer.rule_id}: {answer.signed}, {answer.overridden}, "
            f"{percent(answer.overridden, answer.signed)}; {outcomes}"
        )
    if not report.answers:
        lines.append("  none")
    return lines
