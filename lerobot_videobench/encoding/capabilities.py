"""What this machine can encode with, seen the way LeRobot sees it and the way it really is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from . import pyav_probe
from .config import HW_VIDEO_CODECS, SOFTWARE_VIDEO_CODECS, VALID_VIDEO_CODECS, resolve_auto_vcodec


@dataclass(frozen=True)
class Capabilities:
    """Per-encoder probe results, LeRobot's ``auto`` choice here, and the choice that really works."""

    encoders: list[pyav_probe.EncoderProbe]
    lerobot_auto: str
    lerobot_auto_works: bool
    working_auto: str
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        out = []
        if not self.lerobot_auto_works:
            probe = next(p for p in self.encoders if p.name == self.lerobot_auto)
            out.append(
                f"LeRobot's vcodec='auto' would pick {self.lerobot_auto} here, which fails to open "
                f"({probe.error}); recording with 'auto' would fail at the first frame. "
                f"Use an explicit vcodec (e.g. {self.working_auto})."
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for enc in data["encoders"]:
            enc["status"] = pyav_probe.EncoderProbe(**enc).status
        data["warnings"] = self.warnings
        return data


def encoder_capabilities() -> Capabilities:
    """Probe every encoder LeRobot knows (software first, then hardware in ``auto`` order)."""
    names = [n for n in SOFTWARE_VIDEO_CODECS if n in VALID_VIDEO_CODECS]
    names += list(HW_VIDEO_CODECS)
    probes = [pyav_probe.probe_encoder(n) for n in names]
    lerobot_auto = resolve_auto_vcodec(check_opens=False)
    return Capabilities(
        encoders=probes,
        lerobot_auto=lerobot_auto,
        lerobot_auto_works=pyav_probe.probe_encoder(lerobot_auto).opens,
        working_auto=resolve_auto_vcodec(check_opens=True),
        versions=pyav_probe.library_versions(),
    )


def sweepable_codecs() -> list[str]:
    """The codecs a sweep can measure here: software encoders this build has, then hardware encoders that
    really open (a PyAV wheel names nvenc on machines without a GPU; :func:`~.pyav_probe.probe_encoder`
    opens each one, once per process). What the Sweep panel offers and ``probe`` reports as working."""
    software = pyav_probe.available_encoders(list(SOFTWARE_VIDEO_CODECS))
    hardware = [n for n in HW_VIDEO_CODECS if pyav_probe.probe_encoder(n).opens]
    return software + hardware
