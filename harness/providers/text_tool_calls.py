"""Tool calls that a model wrote as text in its reply, turned into calls the loop can make.

Servers without a tool parser (and small models that ignore the one they have) leave the model's
tool calls in ``message.content``. Each function below reads one widely used format; ``FORMATS``
names them, and ``auto`` tries them in table order (tag formats first: their markers cannot be
mistaken for prose). Each returns the calls it found as spans of the text, or an empty list.

=============  =========================================================================  ==========================
format         what the model writes                                                      who writes it
=============  =========================================================================  ==========================
hermes         ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``                Hermes, Qwen2.5, Qwen3
glm45          ``<tool_call>NAME<arg_key>k</arg_key><arg_value>v</arg_value></tool_call>``  GLM-4.5, GLM-4.6
qwen3_coder    ``<tool_call><function=NAME><parameter=k>v</parameter></function>...``      Qwen3-Coder
mistral        ``[TOOL_CALLS][{"name": ..., "arguments": {...}}]`` or ``[TOOL_CALLS]NAME[ARGS]{...}``  Mistral
deepseek       ``<｜tool▁call▁begin｜>...NAME<｜tool▁sep｜>...{...}<｜tool▁call▁end｜>``          DeepSeek V3, R1, V3.1
json           ``{"name": ..., "arguments"|"parameters": {...}}`` or a list of them, bare,  Llama 3.x, small models
               in a ```json fence, or inside prose; ``<|python_tag|>`` is skipped
pythonic       ``[get_order(order_id="ord-1"), ...]`` ending the reply, on lines of its own  Llama 3.2, Llama 4
=============  =========================================================================  ==========================

A call whose body cannot be read keeps the name when one shows, empty arguments, and an
``argument_error`` that starts like the harness's other argument refusals ("tool arguments are not
valid JSON ("), so the loop sends it back to the model as a tool error instead of ending the
episode. Values of the XML formats (glm45, qwen3_coder) are strings on the wire: a value whose
property the schema types as a string stays text, any other is read as JSON when it parses.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.providers.base import ToolSchema
from harness.providers.common import NOT_JSON_PREFIX, parse_arguments

UNREADABLE_NAME = "unreadable_tool_call"  # the name of a call whose name could not be read
INVALID_PREFIX = NOT_JSON_PREFIX  # what replay and the loop know as a refusal


@dataclass(frozen=True)
class TextCall:
    name: str
    arguments: dict[str, Any]
    argument_error: str | None
    raw: str  # the text of this call, exactly as the model wrote it


@dataclass(frozen=True)
class TextCalls:
    format: str
    calls: list[TextCall]
    text: str  # the reply with the calls taken out: the prose around them, stripped


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    call: TextCall


Schemas = Mapping[str, ToolSchema]
FormatParser = Callable[[str, Schemas], list[_Found]]


def _invalid(raw: str, why: str, name: str | None = None) -> TextCall:
    guess = name or _name_in(raw) or UNREADABLE_NAME
    return TextCall(name=guess, arguments={}, argument_error=f"{INVALID_PREFIX}{why}): {raw[:500]}", raw=raw)


def _name_in(raw: str) -> str | None:
    match = re.search(r'"name"\s*:\s*"([^"]{1,200})"', raw)
    return match.group(1) if match else None


def _from_object(value: Any, raw: str) -> TextCall | None:
    """A call from a decoded ``{"name", "arguments"|"parameters"}`` object; None if not that shape."""
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    if "arguments" in value:
        arguments_raw = value["arguments"]
    elif "parameters" in value:
        arguments_raw = value["parameters"]
    else:
        return None
    arguments, problem = parse_arguments(arguments_raw)  # a JSON string inside the JSON is read too
    return TextCall(name=value["name"], arguments=arguments, argument_error=problem, raw=raw)


def _calls_in_json(raw: str) -> list[TextCall] | None:
    """The calls in a JSON text holding one call object or a list of them; None if it is not that."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    items = value if isinstance(value, list) else [value]
    calls = [_from_object(item, raw) for item in items]  # a list's calls share its text
    if not items or any(call is None for call in calls):
        return None
    return [call for call in calls if call is not None]


def _looks_like_call(raw: str) -> bool:
    return '"name"' in raw and ('"arguments"' in raw or '"parameters"' in raw)


def _typed_value(tool: str, key: str, raw: str, schemas: Schemas) -> Any:
    """An XML-format argument value: text when the schema says string, else JSON when it parses."""
    schema = schemas.get(tool)
    prop = schema.input_schema.get("properties", {}).get(key) if schema else None
    types: set[str] = set()
    if isinstance(prop, dict):
        for option in [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]:
            kind = option.get("type") if isinstance(option, dict) else None
            types.update([kind] if isinstance(kind, str) else kind or [])
    if types and types <= {"string", "null"} and raw != "null":
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# --- one function per format -----------------------------------------------------------------

_TOOL_CALL_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|\Z)", re.DOTALL)


def parse_hermes(text: str, schemas: Schemas) -> list[_Found]:
    found = []
    for match in _TOOL_CALL_TAG.finditer(text):
        body = match.group(1)
        if not body.startswith("{"):
            continue  # GLM or Qwen3-Coder inside the same tag
        calls = _calls_in_json(body)
        if calls is None:
            calls = [_invalid(match.group(0), _json_problem(body))]
        whole = match.group(0)  # the tags belong to the call as written
        found += [_Found(match.start(), match.end(), replace(call, raw=whole)) for call in calls]
    return found


_GLM_ARG = re.compile(r"<arg_key>\s*(.*?)\s*</arg_key>\s*<arg_value>(.*?)</arg_value>", re.DOTALL)


def parse_glm45(text: str, schemas: Schemas) -> list[_Found]:
    found = []
    for match in _TOOL_CALL_TAG.finditer(text):
        body = match.group(1)
        if body.startswith(("{", "<function=")):
            continue
        name, _, rest = body.partition("<arg_key>")
        name = name.strip()
        rest = "<arg_key>" + rest if rest else ""
        leftover = _GLM_ARG.sub("", rest).strip()
        if not name or "\n" in name or leftover:
            call = _invalid(match.group(0), "expected NAME then <arg_key>k</arg_key><arg_value>v</arg_value> pairs",
                            name=name.splitlines()[0] if name else None)
        else:
            arguments = {k: _typed_value(name, k, v, schemas) for k, v in _GLM_ARG.findall(rest)}
            call = TextCall(name=name, arguments=arguments, argument_error=None, raw=match.group(0))
        found.append(_Found(match.start(), match.end(), call))
    return found


_QWEN_FUNCTION = re.compile(r"<function=([^>\s]+)>(.*?)(?:</function>|\Z)", re.DOTALL)
_QWEN_PARAMETER = re.compile(r"<parameter=([^>\s]+)>\n?(.*?)\n?</parameter>", re.DOTALL)


def parse_qwen3_coder(text: str, schemas: Schemas) -> list[_Found]:
    found = []
    for match in _TOOL_CALL_TAG.finditer(text):
        body = match.group(1)
        if not body.startswith("<function="):
            continue
        function = _QWEN_FUNCTION.match(body)
        if function is None:
            call = _invalid(match.group(0), "expected <function=NAME><parameter=k>v</parameter></function>")
        else:
            name = function.group(1)
            arguments = {k: _typed_value(name, k, v, schemas) for k, v in _QWEN_PARAMETER.findall(function.group(2))}
            call = TextCall(name=name, arguments=arguments, argument_error=None, raw=match.group(0))
        found.append(_Found(match.start(), match.end(), call))
    return found


_MISTRAL_MARK = "[TOOL_CALLS]"
_MISTRAL_NAMED = re.compile(r"\s*([A-Za-z0-9_.\-]+)\[ARGS\]")


def parse_mistral(text: str, schemas: Schemas) -> list[_Found]:
    start = text.find(_MISTRAL_MARK)
    if start < 0:
        return []
    after = start + len(_MISTRAL_MARK)
    decoder = json.JSONDecoder()
    named = _MISTRAL_NAMED.match(text, after)
    if named is None:  # [TOOL_CALLS][{...}, ...]
        body = text[after:].lstrip()
        offset = len(text) - len(body)
        try:
            value, end = decoder.raw_decode(body)
        except ValueError as exc:
            return [_Found(start, len(text), _invalid(text[start:], str(exc)))]
        raw = text[start:offset + end]
        calls = _calls_in_json(json.dumps(value)) or [_invalid(raw, "not a list of {\"name\", \"arguments\"} objects")]
        return [_Found(start, offset + end, c if c.argument_error else TextCall(c.name, c.arguments, None, raw)) for c in calls]
    found, position = [], start  # [TOOL_CALLS]name[ARGS]{...} (repeated, newer Mistral templates)
    while named is not None:
        name, body_at = named.group(1), named.end()
        try:
            value, end = decoder.raw_decode(text, body_at)
            arguments, problem = parse_arguments(value)
        except ValueError as exc:
            end, arguments, problem = len(text), {}, f"{INVALID_PREFIX}{exc}): {text[body_at:body_at + 500]}"
        found.append(_Found(position, end, TextCall(name, arguments, problem, text[position:end])))
        position = end
        if text.startswith(_MISTRAL_MARK, position):
            position += len(_MISTRAL_MARK)
        named = _MISTRAL_NAMED.match(text, position) if position < len(text) else None
    return found


_DEEPSEEK_CALL = re.compile(r"<｜tool▁call▁begin｜>(.*?)<｜tool▁sep｜>(.*?)(?:<｜tool▁call▁end｜>|\Z)", re.DOTALL)
_DEEPSEEK_FENCE = re.compile(r"^(\S+)\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_deepseek(text: str, schemas: Schemas) -> list[_Found]:
    found = []
    for match in _DEEPSEEK_CALL.finditer(text):
        head, body = match.group(1).strip(), match.group(2).strip()
        fenced = _DEEPSEEK_FENCE.match(body)
        if head == "function" and fenced:  # V3 / R1: function<sep>NAME ```json {...} ```
            name, arguments_raw = fenced.group(1), fenced.group(2)
        else:  # V3.1: NAME<sep>{...}
            name, arguments_raw = head, body
        arguments, problem = parse_arguments(arguments_raw)
        found.append(_Found(match.start(), match.end(), TextCall(name, arguments, problem, match.group(0))))
    if found:  # the wrapper markers around the calls are no prose either
        first, last = found[0].start, found[-1].end
        begin = text.rfind("<｜tool▁calls▁begin｜>", 0, first)
        close = text.find("<｜tool▁calls▁end｜>", last)
        found[0] = _Found(begin if begin >= 0 else first, found[0].end, found[0].call)
        found[-1] = _Found(found[-1].start, close + len("<｜tool▁calls▁end｜>") if close >= 0 else last, found[-1].call)
    return found


_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call|tool_code)?[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)


def parse_json(text: str, schemas: Schemas) -> list[_Found]:
    stripped = text.strip()
    for marker in ("<|python_tag|>",):
        stripped = stripped.removeprefix(marker).strip()
    whole = _calls_in_json(stripped)
    if whole is not None:
        return [_Found(0, len(text), call) for call in whole]
    fenced = [m for m in _FENCE.finditer(text) if _looks_like_call(m.group(1))]
    if fenced:
        found = []
        for match in fenced:
            calls = _calls_in_json(match.group(1).strip())
            if calls is None:
                calls = [_invalid(match.group(0), _json_problem(match.group(1)))]
            found += [_Found(match.start(), match.end(), call) for call in calls]
        return found
    found = _json_in_prose(text)
    if not found and stripped.startswith(("{", "[")) and _looks_like_call(stripped):
        # A call cut short (the output cap) or otherwise broken: a refused call, not a final reply.
        return [_Found(0, len(text), _invalid(stripped, _json_problem(stripped)))]
    return found


def _json_problem(raw: str) -> str:
    try:
        json.loads(raw)
    except ValueError as exc:
        return str(exc)
    return "not a {\"name\": ..., \"arguments\": {...}} object"


def _json_in_prose(text: str) -> list[_Found]:
    """Call objects inside prose ("Let me look that up. {"name": ...}")."""
    decoder = json.JSONDecoder()
    found: list[_Found] = []
    position = 0
    while (start := text.find("{", position)) >= 0:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        call = _from_object(value, text[start:end])
        if call is not None:
            found.append(_Found(start, end, call))
        position = end
    return found


def parse_pythonic(text: str, schemas: Schemas) -> list[_Found]:
    """A list of keyword-argument calls that ends the reply, alone or after prose on earlier lines."""
    starts = [0] + [m.start() + 1 for m in re.finditer(r"\n(?=\s*(?:<\|python_start\|>)?\[)", text)]
    for start in starts:
        found = _pythonic_calls(text[start:])
        if found:
            return [_Found(start, len(text), call) for call in found]
    return []


def _pythonic_calls(text: str) -> list[TextCall]:
    stripped = text.strip().removeprefix("<|python_start|>").removesuffix("<|python_end|>").strip()
    if not (stripped.startswith("[") and stripped.endswith("]") and "(" in stripped):
        return []
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError:
        return []
    if not isinstance(tree.body, ast.List) or not tree.body.elts:
        return []
    calls = []
    for element in tree.body.elts:
        if not isinstance(element, ast.Call) or not isinstance(element.func, ast.Name) or element.args:
            return []  # not a list of keyword-argument calls: prose that happens to parse
        raw = ast.get_source_segment(stripped, element) or ""
        try:
            arguments = {kw.arg: ast.literal_eval(kw.value) for kw in element.keywords if kw.arg}
            calls.append(TextCall(element.func.id, arguments, None, raw))
        except ValueError as exc:
            calls.append(_invalid(raw, f"argument values must be literals: {exc}", name=element.func.id))
    return calls


# name -> parser, in the order ``auto`` tries them
FORMATS: dict[str, FormatParser] = {
    "hermes": parse_hermes,
    "glm45": parse_glm45,
    "qwen3_coder": parse_qwen3_coder,
    "mistral": parse_mistral,
    "deepseek": parse_deepseek,
    "json": parse_json,
    "pythonic": parse_pythonic,
}
PARSER_CHOICES = ("auto", "none", *FORMATS)
_THINKING = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)


def parse_text_tool_calls(text: str, parser: str, tools: Sequence[ToolSchema] = ()) -> TextCalls | None:
    """The tool calls written in ``text`` under ``parser`` (a FORMATS name or ``auto``), or None.

    Reasoning in ``<think>`` tags is left alone: a call the model only thought about is not made."""
    if parser == "none" or not text.strip():
        return None
    if parser != "auto" and parser not in FORMATS:
        raise ValueError(f"unknown tool_call_parser {parser!r}; choose one of {', '.join(PARSER_CHOICES)}")
    schemas = {tool.name: tool for tool in tools}
    visible = _THINKING.sub(lambda m: " " * len(m.group(0)), text)  # same length: spans stay valid
    for name in FORMATS if parser == "auto" else (parser,):
        found = FORMATS[name](visible, schemas)
        if found:
            return TextCalls(format=name, calls=[f.call for f in found], text=_without(text, found))
    return None


def _without(text: str, found: list[_Found]) -> str:
    pieces, position = [], 0
    for span in sorted(found, key=lambda f: f.start):
        if span.start >= position:
            pieces.append(text[position:span.start])
        position = max(position, span.end)
    pieces.append(text[position:])
    left = re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip()
    # Stray brackets or fences around the calls are no prose: sent back, the model copies them.
    return "" if re.fullmatch(r"[\s\[\]{}()`,;]*", left) else left
