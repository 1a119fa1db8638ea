"""Per-workspace analytics settings, kept in ``Workspace.settings["analytics"]``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from siyu.analytics.lifecycle import LifecycleWindows
from siyu.analytics.rfm import RfmThresholds
from siyu.kit.errors import Unprocessable
from siyu.kit.i18n import N_
from siyu.workspace import audit
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import Actor

RfmMode = Literal["quintile", "thresholds"]
SegmentScheme = Literal["standard", "cn8"]
RFM_MODES: tuple[RfmMode, ...] = ("quintile", "thresholds")
SEGMENT_SCHEMES: tuple[SegmentScheme, ...] = ("standard", "cn8")


@dataclass(frozen=True)
class AnalyticsConfig:
    rfm_mode: RfmMode = "quintile"
    thresholds: RfmThresholds = field(default_factory=RfmThresholds)
    scheme: SegmentScheme = "standard"
    windows: LifecycleWindows = field(default_factory=LifecycleWindows)

    def as_json(self) -> dict[str, Any]:
        return {
            "rfm_mode": self.rfm_mode,
            "scheme": self.scheme,
            "thresholds": {key: list(value) for key, value in asdict(self.thresholds).items()},
            "windows": asdict(self.windows),
        }


def config_from_json(data: dict[str, Any]) -> AnalyticsConfig:
    """Build and validate a config; a bad value is a 422 naming what is wrong."""
    try:
        mode = data.get("rfm_mode", "quintile")
        scheme = data.get("scheme", "standard")
        if mode not in RFM_MODES:
            raise ValueError(f"rfm_mode must be one of {', '.join(RFM_MODES)}")
        if scheme not in SEGMENT_SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SEGMENT_SCHEMES)}")
        cuts = data.get("thresholds") or {}
        thresholds = RfmThresholds(
            **{key: tuple(int(v) for v in value) for key, value in cuts.items()}  # type: ignore[arg-type]
        )
        if any(len(value) != 4 for value in asdict(thresholds).values()):
            raise ValueError("each threshold list needs exactly four cut points")
        windows = LifecycleWindows(
            **{key: int(value) for key, value in (data.get("windows") or {}).items()}
        )
    except (TypeError, ValueError) as exc:
        raise Unprocessable(
            "invalid-analytics-settings", title=N_("Invalid analytics settings"), detail=str(exc)
        ) from exc
    return AnalyticsConfig(mode, thresholds, scheme, windows)


def load_config(session: Session, workspace_id: int) -> AnalyticsConfig:
    return config_from_json(workspace_service.settings_section(session, workspace_id, "analytics"))


def save_config(session: Session, workspace_id: int, config: AnalyticsConfig, actor: Actor) -> None:
    """Keep the settings for the next refresh; one audit entry."""
    workspace_service.save_settings_section(session, workspace_id, "analytics", config.as_json())
    audit.record(
        session, actor, "analytics.settings", workspace_id=workspace_id, detail=config.as_json()
    )
