"""Pinyin keys of Chinese names, for searches that accept what a person types on a phone or a
keyboard without an input method: the initials ("frzl") or the full pinyin ("furongzhonglu")."""
from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_NOT_KEY = re.compile(r"[^0-9a-z]")
# The separators of a name's several spellings (a place's aliases: "东医、区医院").
_ALIAS_SPLIT = re.compile(r"[、,，;；/\s]+")


def pinyin_key(text: str) -> str:
    """What was typed, as a key to match against: lower case, letters and digits only."""
    return _NOT_KEY.sub("", str(text or "").lower())


@lru_cache(maxsize=4096)
def name_pinyin(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a name, lower case, letters and digits only:
    "机动车乱停放" → ("jdcltf", "jidongcheluantingfang"). pypinyin reads each character in the
    context of the phrase (its phrase dictionary), so the usual reading of a polyphone wins.
    Cached per process, keyed on the name: a renamed row gets new keys."""
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    full = "".join(lazy_pinyin(name)).lower()
    return _NOT_KEY.sub("", initials), _NOT_KEY.sub("", full)


def pinyin_search_text(*names: str) -> str:
    """The keys of one or more names (a name and its aliases, each alias list split on 、 , ; /),
    space-separated, to store beside them: "芙蓉中路" → "frzl furongzhonglu". A key typed without
    spaces matches inside one spelling, never across two."""
    keys: list[str] = []
    for text in names:
        for name in _ALIAS_SPLIT.split(text or ""):
            if name:
                for key in name_pinyin(name):
                    if key and key not in keys:
                        keys.append(key)
    return " ".join(keys)
