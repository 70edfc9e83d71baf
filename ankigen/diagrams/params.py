"""Reading a plot block's YAML into plain values, each mistake located at its line and column."""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence

import yaml
from yaml.constructor import SafeConstructor

from ankigen.diagrams.model import Problem
from ankigen.storable import SOUND_MESSAGE, sound_tags, unstorable

_TAG = "tag:yaml.org,2002:"
_NUMBER_TAGS = (_TAG + "int", _TAG + "float")
_SCALAR_TAGS = (_TAG + "str", _TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null")
_SHAPES: dict[type[yaml.Node], str] = {yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping"}


def shown(value: float) -> str:
    """Write a number for a message or alt text: 10 rather than 10.0, 0.75 rather than 0.750."""
    return f"{value:g}"


class Block:
    """One plot block being read: turns YAML nodes into values and collects located problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()

    def fail(self, node: yaml.Node | None, message: str) -> None:
        """Record a problem at `node` (or at the start of the block)."""
        if node is None:
            self.problems.append(Problem(0, 0, message))
        else:
            self.problems.append(Problem(node.start_mark.line, node.start_mark.column, message))

    def fail_in(self, node: yaml.ScalarNode, offset: int, message: str) -> None:
        """Record a problem at character `offset` of a scalar's text (its start if multi-line)."""
        start, end = node.start_mark, node.end_mark
        if node.style in (None, "'", '"') and start.line == end.line:
            quote = 1 if node.style else 0
            lead = len(node.value) - len(node.value.lstrip())
            self.problems.append(Problem(start.line, start.column + quote + lead + offset, message))
        else:
            self.fail(node, message)

    def compose(self, text: str) -> yaml.Node | None:
        """Parse the block's YAML (safe loader, one document) into a node tree, or None."""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line, col = (mark.line, mark.column) if mark else (0, 0)
            self.problems.append(Problem(line, col, f"YAML: {err.problem or err.context}"))
        except yaml.YAMLError as err:
            # A ReaderError (a control character, say) knows only its character offset.
            position = getattr(err, "position", 0)
            line = text.count("\n", 0, position)
            col = position - (text.rfind("\n", 0, position) + 1)
            self.problems.append(Problem(line, col, f"YAML: {str(err).splitlines()[0]}"))
        except RecursionError:
            self.problems.append(Problem(0, 0, "YAML: nested too deeply"))
        else:
            self._check_text(root, text)
            return None if self.problems else root
        return None

    def _check_text(self, root: yaml.Node | None, text: str) -> None:
        """Every text of the block may reach a field (a title, an alt text): none may hold what
        Anki cannot store, written as a YAML escape (`"\\x1f"`, `"\\ud800"`) or not."""
        nodes = [root] if root is not None else []
        while nodes:
            node = nodes.pop()
            if isinstance(node, yaml.ScalarNode):
                if (problem := unstorable(node.value)) is not None:
                    self.fail_in(node, problem[0], problem[1])
                elif (tags := sound_tags(node.value)) and not sound_tags(_written(node, text)):
                    self.fail_in(node, tags[0], SOUND_MESSAGE)  # else parse reports it
            elif isinstance(node, yaml.SequenceNode):
                nodes.extend(reversed(node.value))
            elif isinstance(node, yaml.MappingNode):
                nodes.extend(item for pair in reversed(node.value) for item in reversed(pair))

    def fields(self, node: yaml.Node, names: Sequence[str], where: str) -> dict[str, yaml.Node]:
        """Read a mapping of known parameter names; unknown and repeated names are problems."""
        out: dict[str, yaml.Node] = {}
        for key_node, value in self.mapping(node, where):
            key = key_node.value
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                expected = ", ".join(names)
                self.fail(
                    key_node, f"{where}: unknown parameter {key!r} ({hint}expected: {expected})"
                )
            else:
                out[key] = value
        return out

    def mapping(self, node: yaml.Node, where: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
        """Read a mapping with plain text keys, in the order written."""
        if not isinstance(node, yaml.MappingNode) or node.tag != _TAG + "map":
            self.fail(node, f"{where}: expected `name: value` lines, not {self._shape(node)}")
            return []
        pairs = []
        seen: set[str] = set()
        for key_node, value in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _TAG + "merge":
                self.fail(key_node, f"{where}: a name must be plain text")
            elif key_node.value in seen:
                self.fail(key_node, f"{where}: {key_node.value!r} is given twice")
            else:
                seen.add(key_node.value)
                pairs.append((key_node, value))
        return pairs

    def sequence(self, node: yaml.Node, what: str, least: int, most: int) -> list[yaml.Node] | None:
        """Read a list of `least` to `most` items (their nodes, still to be read)."""
        if not isinstance(node, yaml.SequenceNode) or node.tag != _TAG + "seq":
            self.fail(node, f"{what} should be a list, not {self._shape(node)}")
            return None
        count = len(node.value)
        if count < least:
            self.fail(node, f"{what} has {count} items; at least {least} needed")
            return None
        if count > most:
            self.fail(node, f"{what} has {count} items; at most {most} allowed")
            return None
        return list(node.value)

    def number(self, node: yaml.Node, what: str) -> float | None:
        """Read a finite number (a bare `1e-3` counts; true/false and quoted text do not)."""
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"{what} should be a number, not {self._shape(node)}")
            return None
        raw: object = None
        if node.tag in _NUMBER_TAGS:
            try:
                raw = self._constructor.construct_object(node)
            except ValueError:  # an integer of more digits than Python converts
                raw = "inf"
        elif node.tag == _TAG + "str" and node.style is None:
            raw = node.value
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(node, f"{what} should be a number, not {_cut(node.value)!r}")
            return None
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            self.fail(node, f"{what} ({_cut(node.value)}) is not a finite number")
            return None
        return value

    def within(self, node: yaml.Node, what: str, low: float, high: float) -> float | None:
        """Read a number in the closed interval [low, high]."""
        value = self.number(node, what)
        if value is not None and not low <= value <= high:
            self.fail(node, f"{what} ({node.value}) is outside [{shown(low)}, {shown(high)}]")
            return None
        return value

    def numbers(
        self, node: yaml.Node, what: str, least: int, most: int, low: float, high: float
    ) -> list[float] | None:
        """Read a list of numbers in [low, high]; every bad item is reported."""
        items = self.sequence(node, what, least, most)
        if items is None:
            return None
        values = [
            self.within(item, f"{what}: item {i}", low, high) for i, item in enumerate(items, 1)
        ]
        if any(value is None for value in values):
            return None
        return [value for value in values if value is not None]

    def text(self, node: yaml.Node, what: str, most: int) -> str | None:
        """Read a single-valued text (a number is taken as written)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag not in _SCALAR_TAGS:
            self.fail(node, f"{what} should be text, not {self._shape(node)}")
            return None
        value = str(node.value).strip()
        if not value:
            self.fail(node, f"{what} is empty")
            return None
        if len(value) > most:
            self.fail(node, f"{what} is {len(value)} characters long; at most {most} allowed")
            return None
        return value

    def flag(self, node: yaml.Node, what: str) -> bool | None:
        """Read true or false."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "bool":
            return bool(self._constructor.construct_object(node))
        self.fail(node, f"{what} should be true or false, not {self._shape(node)}")
        return None

    def missing(self, node: yaml.Node | None, what: str) -> None:
        """Report a required parameter that is not there."""
        self.fail(node, f"missing {what}")

    @staticmethod
    def _shape(node: yaml.Node) -> str:
        if node.tag not in (*_SCALAR_TAGS, _TAG + "seq", _TAG + "map"):
            return f"tagged value {node.tag!r}"
        if isinstance(node, yaml.ScalarNode):
            return repr(node.value)
        return _SHAPES.get(type(node), "this")


def _cut(text: str) -> str:
    """A value for a message, cut short when it is long."""
    return text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"


def _written(node: yaml.Node, text: str) -> str:
    """A node's text as written in the block, escapes and all."""
    return text[node.start_mark.index : node.end_mark.index]
