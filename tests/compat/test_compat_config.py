"""Config differential: our ``VideoEncoderConfig`` against the real LeRobot 0.6 ``RGBEncoderConfig`` on
the same keyword arguments (~1,900 configs: every field's valid, boundary and bad values one at a time
per codec, plus seeded random mixes).

For every config both classes must agree on accept/reject; where both accept, on every field (value and
type) and on ``get_codec_options`` for every ``encoder_threads`` / ``as_strings`` combination. The only
allowed disagreements are the deviations in docs/lerobot-compat.md, and each must be one where we reject
what LeRobot accepts, never the reverse.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _compat_cases import config_cases

from lerobot_videobench.encoding import VideoEncoderConfig

pytestmark = pytest.mark.lerobot

DOC = Path(__file__).resolve().parents[2] / "docs" / "lerobot-compat.md"
THREADS = (None, 1, 4)


def _fast_decode_not_int(kwargs: dict[str, Any]) -> bool:
    value = kwargs.get("fast_decode", 0)
    return isinstance(value, bool) or not isinstance(value, int)


#: Deviation id (as in the docs table) -> which configs it covers. Each is a case we reject and LeRobot
#: accepts; the reason is written in docs/lerobot-compat.md.
DEVIATIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "fast_decode-type": _fast_decode_not_int,
}


def documented_deviations() -> set[str]:
    """The ids in the docs' deviations table (rows that start with a backticked id)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Deviations", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_-]+)` \|", section, flags=re.M))


def _typed(value: Any) -> Any:
    """The value with its type, so 1, 1.0, True and "1" never compare equal."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_typed(v) for v in value]]
    return (type(value).__name__, value)


def _build(cls: type, kwargs: dict[str, Any]) -> tuple[Any, BaseException | None]:
    try:
        return cls(**copy.deepcopy(kwargs)), None
    except Exception as exc:  # noqa: BLE001 - a verdict, whatever LeRobot raises
        return None, exc


def _fields(config: Any) -> dict[str, Any]:
    return {f.name: _typed(getattr(config, f.name)) for f in dataclasses.fields(config)}


def _options(config: Any) -> dict[tuple[Any, bool], Any]:
    out = {}
    for threads in THREADS:
        for as_strings in (False, True):
            try:
                out[threads, as_strings] = _typed(config.get_codec_options(threads, as_strings=as_strings))
            except Exception as exc:  # noqa: BLE001
                out[threads, as_strings] = f"raises {type(exc).__name__}"
    return out


def test_deviations_are_documented():
    assert documented_deviations() == set(DEVIATIONS), f"{DOC} deviations table must list exactly {sorted(DEVIATIONS)}"


def test_config_differential(lerobot_pkg, lerobot_video, capsys):
    cases = config_cases()
    verdicts: Counter[str] = Counter()
    deviations: Counter[str] = Counter()
    problems: list[str] = []
    for i, kwargs in enumerate(cases):
        ours, our_exc = _build(VideoEncoderConfig, kwargs)
        theirs, their_exc = _build(lerobot_video.RGBEncoderConfig, kwargs)
        where = f"case {i} {kwargs!r}"
        if our_exc is not None and not isinstance(our_exc, ValueError):
            problems.append(f"{where}: we raise {type(our_exc).__name__} ({our_exc}), not a ValueError")
        if ours is not None and theirs is not None:
            verdicts["accepted by both"] += 1
            if _fields(ours) != _fields(theirs):
                problems.append(f"{where}: fields differ: ours {_fields(ours)} lerobot {_fields(theirs)}")
            elif _options(ours) != _options(theirs):
                problems.append(f"{where}: options differ: ours {_options(ours)} lerobot {_options(theirs)}")
        elif ours is None and theirs is None:
            verdicts["rejected by both"] += 1
        elif ours is not None:
            problems.append(f"{where}: we accept what LeRobot rejects ({type(their_exc).__name__}: {their_exc})")
        else:
            covering = [d for d, applies in DEVIATIONS.items() if applies(kwargs)]
            if covering:
                deviations[covering[0]] += 1
            else:
                problems.append(f"{where}: we reject ({our_exc}) what LeRobot accepts, and no deviation covers it")
    mismatches = sum(deviations.values()) + len(problems)
    with capsys.disabled():
        print(
            f"\nconfig differential vs lerobot {lerobot_pkg.__version__}: {len(cases)} configs compared, "
            f"{verdicts['accepted by both']} accepted by both (fields and options for {len(THREADS) * 2} "
            f"encoder_threads/as_strings combinations identical), {verdicts['rejected by both']} rejected by both, "
            f"{mismatches} mismatches: {dict(deviations)} documented deviations, {len(problems)} unexplained"
        )
    assert not problems, f"{len(problems)} disagreement(s) with LeRobot:\n" + "\n".join(problems[:25])
    assert len(cases) >= 500
    # The comparison means something only if both verdicts occur often.
    assert verdicts["accepted by both"] >= 300 and verdicts["rejected by both"] >= 300, verdicts
