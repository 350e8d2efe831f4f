"""The preflight's verdicts and how they are rendered: :class:`Check` lines gathered in a :class:`PreflightReport`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from emotion_vectors import estimates as est
from emotion_vectors.preflight.needs import Download, RunNeed

Status = Literal["ok", "note", "blocker"]


@dataclass(frozen=True)
class Check:
    """One line of the preflight: ``status`` ``ok``, ``note`` (worth knowing) or ``blocker`` (the run would fail)."""

    topic: str
    subject: str
    status: Status
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class PreflightReport:
    """The whole preflight: checks, per-run needs, downloads and the estimated time of each stage."""

    profile: str
    description: str
    checks: tuple[Check, ...]
    needs: tuple[RunNeed, ...]
    downloads: tuple[Download, ...]
    stage_seconds: tuple[tuple[str, float], ...]

    @property
    def blockers(self) -> tuple[Check, ...]:
        """The checks that would make the run fail."""
        return tuple(c for c in self.checks if c.status == "blocker")

    @property
    def ok(self) -> bool:
        """True when nothing blocks the run."""
        return not self.blockers

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json``)."""
        return {**dataclasses.asdict(self), "ok": self.ok, "n_blockers": len(self.blockers)}

    def format(self) -> str:
        """The human-readable report (what ``emotion-vectors preflight`` prints)."""
        lines = [f"preflight: profile {self.profile} ({self.description})"]
        lines.append("runs (model x corpus):")
        for need in self.needs:
            basis = "" if need.tokens_measured else " (published design)"
            time = est.human_seconds(need.seconds) if need.seconds is not None else "unknown"
            lines.append(
                f"  {need.model} x {need.corpus}: {need.n_stories} stories{basis}, ~{need.tokens:,} tokens, "
                f"store {est.human_bytes(need.store_bytes)}, extraction ~{time} on {need.device} {need.dtype}"
            )
        if self.downloads:
            lines.append("downloads:")
            for item in self.downloads:
                state = "cached" if item.cached else f"to download, {est.human_bytes(item.bytes)}"
                lines.append(f"  {item.kind:<8} {item.name}: {item.source} ({state})")
        lines.append("checks:")
        for check in self.checks:
            subject = f" {check.subject}" if check.subject else ""
            lines.append(f"  {check.status.upper():<7} {check.topic}{subject}: {check.detail}")
            if check.fix and check.status != "ok":
                lines.append(f"          fix: {check.fix}")
        total = sum(seconds for _, seconds in self.stage_seconds)
        stages = ", ".join(f"{name} ~{est.human_seconds(s)}" for name, s in self.stage_seconds)
        lines.append(f"estimated time per stage (from measured throughput; see estimates.py): {stages}")
        lines.append(f"estimated total: ~{est.human_seconds(total)}")
        if self.blockers:
            lines.append(f"{len(self.blockers)} blocker(s): fix them before running")
        else:
            lines.append("nothing blocks this run")
        return "\n".join(lines)
