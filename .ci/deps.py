"""Print the requirements of pyproject.toml's dependencies plus the given extras, one per line, with
this project's own self-references (``lerobot-videobench[notebook,dask]``) expanded, so a venv can get
everything the package and its tests need without installing the package itself (Python >= 3.11)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
extras: dict[str, list[str]] = project.get("optional-dependencies", {})
SELF = re.compile(rf"^{re.escape(project['name'])}\[([^\]]+)\]\s*$")


def expand(reqs: list[str], seen: set[str]) -> list[str]:
    out: list[str] = []
    for req in reqs:
        m = SELF.match(req)
        if not m:
            out.append(req)
            continue
        for extra in (e.strip() for e in m.group(1).split(",")):
            if extra not in seen:
                seen.add(extra)
                out += expand(extras[extra], seen)
    return out


wanted = sys.argv[1:]
unknown = [e for e in wanted if e not in extras]
if unknown:
    sys.exit(f"unknown extra(s) {unknown}; pyproject.toml has {sorted(extras)}")
reqs = expand(list(project["dependencies"]), set())
for extra in wanted:
    reqs += expand(extras[extra], {extra})
print("\n".join(dict.fromkeys(reqs)))
