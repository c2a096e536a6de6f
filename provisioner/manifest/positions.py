"""Line and column of the nodes of a ruamel.yaml round-trip tree, recorded by path.

Shared by the manifest loader and the Callr Actions parser: both keep, for each node's path
(a tuple of keys and list indexes), its 1-based line and column, and for mapping entries the
key's too, so any later problem can be located.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

Path_ = tuple[str | int, ...]
Positions = dict[Path_, tuple[int, int]]


def remember_entry(node: CommentedMap, key: Any, path: Path_, keys: Positions,
                   values: Positions) -> None:
    """Record the 1-based line and column of a round-trip mapping's key and of its value."""
    try:
        kline, kcol = node.lc.key(key)
        vline, vcol = node.lc.value(key)
    except (KeyError, TypeError, AttributeError):
        return
    keys[path] = (kline + 1, kcol + 1)
    # An empty (null) value has no token of its own: ruamel gives the position of whatever
    # follows, possibly past the end of the file; the key is better.
    values[path] = (vline + 1, vcol + 1) if node.get(key) is not None else (kline + 1, kcol + 1)


def remember_item(node: CommentedSeq, index: int, path: Path_, values: Positions) -> None:
    """Record the 1-based line and column of a round-trip sequence's item."""
    try:
        line, col = node.lc.item(index)
    except (KeyError, TypeError, AttributeError, IndexError):
        return
    values[path] = (line + 1, col + 1)
