"""Every rule of one model on one platform, in words, with its grade and source.

One home for the text that ``veowrap models --explain MODEL`` prints and that docs/models.md
shows, so the two cannot say different things.
"""

from __future__ import annotations

from dataclasses import dataclass

from veowrap._catalog._schema import Evidence, Grade, ModelCapabilities

__all__ = ["ExplainedRule", "explain"]


@dataclass(frozen=True)
class ExplainedRule:
    """One rule: what it says, and the evidence behind it.

    Attributes:
        rule: The rule's name (a catalog key such as ``durations``, or ``rule`` for a
            combination rule, ``lifecycle``, ``price``).
        says: The rule in words.
        evidence: Its source, date and grade (``documented`` refuses, ``reported`` warns).
    """

    rule: str
    says: str
    evidence: Evidence


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _lifecycle(caps: ModelCapabilities) -> str:
    life = caps.lifecycle
    parts: list[str] = [life.stage]
    if life.deprecated:
        parts.append(f"deprecated since {life.deprecated}")
    if life.shutdown:
        parts.append(f"shutdown {life.shutdown}")
    if life.successor:
        parts.append(f"successor {life.successor}")
    return "; ".join(parts)


def _extension(caps: ModelCapabilities) -> str:
    ext = caps.inputs.video
    if ext is None:
        return "no"
    parts = []
    if ext.durations:
        parts.append(f"duration_seconds {', '.join(str(d) for d in ext.durations)}")
    if ext.seconds_per_step:
        parts.append(f"+{ext.seconds_per_step} s per step")
    if ext.max_steps:
        parts.append(f"up to {ext.max_steps} steps")
    if ext.min_input_seconds and ext.max_input_seconds:
        parts.append(f"input {ext.min_input_seconds}-{ext.max_input_seconds} s")
    elif ext.max_input_seconds:
        parts.append(f"input up to {ext.max_input_seconds} s")
    if ext.max_output_seconds:
        parts.append(f"output up to {ext.max_output_seconds} s")
    if ext.veo_made_only:
        parts.append("Veo-made videos only")
    return "yes (" + ", ".join(parts) + ")" if parts else "yes"


def explain(caps: ModelCapabilities) -> list[ExplainedRule]:
    """Every rule of ``caps`` in words, lifecycle first, prices last."""
    ev = caps.evidence
    refs = caps.inputs.reference_images
    person = "; ".join(
        f"{kind}: {', '.join(v)}" for kind, v in sorted(caps.person_generation.items())
    )
    rows = [
        ExplainedRule("lifecycle", _lifecycle(caps), caps.lifecycle.evidence),
        ExplainedRule("durations", ", ".join(f"{d} s" for d in caps.durations), ev["durations"]),
        ExplainedRule("aspect_ratios", ", ".join(caps.aspect_ratios), ev["aspect_ratios"]),
        ExplainedRule("resolutions", ", ".join(caps.resolutions), ev["resolutions"]),
        ExplainedRule(
            "max_videos",
            f"1 to {caps.max_videos} per request" if caps.max_videos > 1 else "1 per request",
            ev["max_videos"],
        ),
        ExplainedRule("audio", caps.audio, ev["audio"]),
        ExplainedRule("person_generation", person or "no such field", ev["person_generation"]),
        ExplainedRule("inputs.image", _yes(caps.inputs.image), ev["inputs.image"]),
        ExplainedRule("inputs.last_frame", _yes(caps.inputs.last_frame), ev["inputs.last_frame"]),
        ExplainedRule(
            "inputs.reference_images",
            "no"
            if refs is None
            else f"up to {refs.max_count} ("
            + ", ".join(f"{kind} up to {most}" for kind, most in refs.types.items())
            + (")" if refs.mixed_types or len(refs.types) < 2 else "; not mixed)"),
            ev["inputs.reference_images"],
        ),
        ExplainedRule("inputs.video", _extension(caps), ev["inputs.video"]),
        ExplainedRule("inputs.mask", _yes(caps.inputs.mask), ev["inputs.mask"]),
        ExplainedRule(
            "unsupported_fields",
            ", ".join(caps.unsupported_fields) or "none",
            ev["unsupported_fields"],
        ),
        ExplainedRule(
            "prompt_max_tokens",
            f"{caps.prompt_max_tokens:,} tokens" if caps.prompt_max_tokens else "no limit known",
            ev["prompt_max_tokens"],
        ),
        ExplainedRule(
            "max_image_bytes",
            f"{caps.max_image_bytes:,} bytes" if caps.max_image_bytes else "no limit known",
            ev["max_image_bytes"],
        ),
    ]
    for rule in caps.rules:
        when = " and ".join(
            f"{name} is {', '.join(str(v) for v in values)}" for name, values in rule.when.items()
        )
        allowed = ", ".join(str(a) for a in rule.allowed)
        rows.append(
            ExplainedRule(
                "rule", f"{rule.field} must be {allowed} when {when} ({rule.why})", rule.evidence
            )
        )
    for price in caps.prices:
        amount = "unknown" if price.usd_per_second is None else f"${price.usd_per_second:.2f}/s"
        confirmed = "Google's page confirms it" if price.confirmed else "not on a Google page"
        says = f"{'/'.join(price.resolutions)}: {amount} ({confirmed})"
        if price.note:
            says += f"; {price.note}"
        grade: Grade = "documented" if price.confirmed else "reported"
        rows.append(
            ExplainedRule(
                "price", says, Evidence(source=price.source, date=price.as_of, grade=grade)
            )
        )
    return rows
