"""Free text as it is taken in: without the invisible Unicode controls that reorder what a reader
sees (bidirectional overrides, isolates and marks), so that a report cannot spoof what operators
read (U+202E shows "gpj.exe" as "exe.jpg")."""
import re

# LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, and the Arabic letter mark.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def text_clean(value: str) -> str:
    """The text without bidirectional controls, stripped of surrounding white space."""
    return BIDI_CONTROLS.sub("", value or "").strip()
