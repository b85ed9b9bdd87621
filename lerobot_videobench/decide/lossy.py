"""Notes on the source's own history, for every printed decision (sweep summary, recommend, search, JSON).

Re-encoding lossy footage flatters settings near the source's own: the reference frames already lost
what such a setting would lose. These notes say so, and name the candidate the source resembles
(same codec family, same GOP, bits per pixel within :data:`SIMILAR_BPP`), whose figures are the most
flattered.
"""

from __future__ import annotations

from typing import Any

#: How many resembling candidates a note names (closest first) before "and N more".
MAX_NAMED = 3
#: Relative difference of bits per pixel under which a candidate "looks like" the source.
SIMILAR_BPP = 0.35

_FAMILIES = {
    "av1": ("av1", "libdav1d", "libaom-av1", "libsvtav1", "av1_nvenc", "av1_qsv", "av1_vaapi"),
    "h264": ("h264", "libx264", "h264_nvenc", "h264_qsv", "h264_vaapi", "h264_videotoolbox", "libopenh264"),
    "hevc": ("hevc", "libx265", "hevc_nvenc", "hevc_qsv", "hevc_vaapi", "hevc_videotoolbox"),
    "vp9": ("vp9", "libvpx-vp9"),
}


def codec_family(name: Any) -> str | None:
    """``av1`` / ``h264`` / ``hevc`` / ``vp9`` for an encoder or decoder name, else the name itself."""
    if not isinstance(name, str) or not name:
        return None
    for family, names in _FAMILIES.items():
        if name in names:
            return family
    return name


def _flag(v: Any) -> bool:
    return bool(v) if v is not None and v == v else False


def _num(v: Any) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if v == v else None


def resembling_candidates(results: Any) -> list[dict[str, Any]]:
    """Per lossy source: the measured configurations that look like how the source was encoded."""
    need = {"source", "source_lossy", "source_codec", "source_gop", "source_bpp", "config.vcodec", "config.g",
            "bits_per_pixel", "label", "status"}
    if results is None or not len(results) or not need <= set(results.columns):
        return []
    ok = results[(results["status"] == "ok") & results["source_lossy"].map(_flag)]
    out = []
    for source, rows in ok.groupby("source"):
        first = rows.iloc[0]
        family, gop, bpp = codec_family(first["source_codec"]), _num(first["source_gop"]), _num(first["source_bpp"])
        if family is None or gop is None or not bpp:
            continue
        by_label = rows.groupby("label").agg(vcodec=("config.vcodec", "first"), g=("config.g", "first"),
                                              bpp=("bits_per_pixel", "mean"))
        for label, r in by_label.iterrows():
            if codec_family(r["vcodec"]) != family or _num(r["g"]) != gop or not r["bpp"]:
                continue
            if abs(r["bpp"] - bpp) / bpp <= SIMILAR_BPP:
                out.append({"source": str(source), "label": str(label), "source_codec": family,
                            "source_gop": int(gop), "source_bpp": bpp, "candidate_bpp": float(r["bpp"])})
    return out


def lossy_source_notes(results: Any) -> list[str]:
    """One line when trials re-encode lossy footage, plus one per candidate the source resembles."""
    if results is None or not len(results) or "source_lossy" not in getattr(results, "columns", []):
        return []
    rows = results[results["status"] == "ok"] if "status" in results.columns else results
    lossy = rows[rows["source_lossy"].map(_flag)]
    if not len(lossy):
        return []
    sources = sorted(set(lossy["source"].astype(str))) if "source" in lossy.columns else []
    codecs = ""
    if "source_codec" in lossy.columns:
        names = sorted({str(c) for c in lossy["source_codec"] if isinstance(c, str)})
        codecs = f", already {'/'.join(names)}" if names else ""
    lines = [f"Lossy source: {len(lossy)} of {len(rows)} trials re-encode already compressed footage "
             f"({', '.join(sources)}{codecs}); quality is measured against the decoded source, which flatters "
             "settings near the source's own. Image datasets or lossless files give unflattered figures."]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for m in resembling_candidates(results):
        by_source.setdefault(m["source"], []).append(m)
    for source, found in by_source.items():  # one line per source, closest first, however many resemble it
        found.sort(key=lambda m: abs(m["candidate_bpp"] - m["source_bpp"]))
        first = found[0]
        named = [f"{m['label']} ({m['candidate_bpp']:.3f} bpp)" for m in found[:MAX_NAMED]]
        more = f" and {len(found) - MAX_NAMED} more" if len(found) > MAX_NAMED else ""
        what = "its quality figures are" if len(found) == 1 else "their quality figures are"
        lines.append(f"The source {source} (codec {first['source_codec']}, GOP {first['source_gop']}, "
                     f"{first['source_bpp']:.3f} bpp) looks like {', '.join(named)}{more}: {what} the most flattered.")
    return lines


__all__ = ["SIMILAR_BPP", "codec_family", "lossy_source_notes", "resembling_candidates"]
