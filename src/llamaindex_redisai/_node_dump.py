"""A fast stand-in for ``model_dump`` of the stock LlamaIndex node classes (ingest's hot path).

``node.model_dump(mode="json", exclude_defaults=True)`` costs about 15 us a node, most of an
ingest's client time. For the stock node classes (``TextNode``, ``Node``, ``IndexNode``,
``ImageNode``), whose fields and serializers are known, :func:`fast_parts` builds the same dict
from the field values directly (about 3.6 us). Anything it cannot vouch for (a value that is not
plain JSON, a subclass, a field or serializer added by a later LlamaIndex) raises
:class:`Unusual`, and the caller uses ``model_dump`` instead. A hypothesis test compares both
on varied nodes (``tests/unit/test_llamaindex_vector_mapping.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from llama_index.core.schema import (
    BaseNode,
    ImageNode,
    IndexNode,
    Node,
    NodeRelationship,
    ObjectType,
    RelatedNodeInfo,
    TextNode,
)
from pydantic import BaseModel

__all__ = ["Shape", "Unusual", "fast_parts", "shape_of"]


class Unusual(Exception):
    """A value the fast path cannot show equals what ``model_dump`` would give."""


# Fields the dump leaves out (``exclude``) or that the fast path handles by name.
_OWN_FIELDS = frozenset({"embedding", "text", "text_resource", "metadata", "relationships"})
# Fields whose values are JSON as they stand (str, int, None, a list of str or float). Assignment
# is validated, so only the lists, changed in place, can hold what their type does not allow.
_PLAIN_FIELDS = frozenset(
    {
        "id_", "excluded_embed_metadata_keys", "excluded_llm_metadata_keys",
        "metadata_template", "metadata_separator", "text_template", "mimetype",
        "start_char_idx", "end_char_idx", "index_id",
        "image", "image_path", "image_url", "image_mimetype", "text_embedding",
    }
)  # fmt: skip
# Fields handled only at their default of None (media resources, IndexNode's object).
_NONE_FIELDS = frozenset({"image_resource", "audio_resource", "video_resource", "obj"})
# Value types that JSON mode keeps as they are (floats too, when finite: see _json).
_SCALARS = frozenset({str, int, bool, type(None)})
_STR_ONLY = frozenset({str})
# The item type of the list fields: anything else makes pydantic warn, so model_dump does it.
_LIST_ITEMS = {
    "excluded_embed_metadata_keys": _STR_ONLY,
    "excluded_llm_metadata_keys": _STR_ONLY,
    "text_embedding": frozenset({float}),
}
# The model serializers of the stock classes: BaseComponent's adds ``class_name``,
# IndexNode's also writes ``obj`` (``None`` when unset, default or not).
_SERIALIZERS = {
    "BaseComponent.custom_model_dump": False,
    "IndexNode.custom_model_dump": True,
}
_RELATED_FIELDS = ("node_id", "node_type", "metadata", "hash")
_read_related = itemgetter(*_RELATED_FIELDS)
# Enum values ("1", "2", ...: typed int by auto()), looked up rather than read through the slow
# ``Enum.value`` descriptor.
_RELATION_KEYS = {kind: str(kind.value) for kind in NodeRelationship}
_OBJECT_TYPES = {kind: str(kind.value) for kind in ObjectType}
_MAX_DEPTH = 32  # deeper values (or a cycle) go to model_dump, which has its own checks


class Shape:
    """What the fast path needs to know of one node class, worked out once."""

    __slots__ = ("class_name", "defaults", "list_items", "none_fields", "optional", "read_optional",
                 "required", "text_field", "writes_obj")  # fmt: skip

    def __init__(
        self,
        class_name: str,
        required: tuple[str, ...],
        optional: tuple[tuple[str, Any], ...],
        none_fields: tuple[str, ...],
        *,
        text_field: bool,
        writes_obj: bool,
    ) -> None:
        self.class_name = class_name
        self.required = required  # always in the dump
        self.optional = optional  # (name, default): in the dump unless equal to the default
        self.list_items = tuple(_LIST_ITEMS.get(name) for name, _ in optional)
        # One C-level read and tuple comparison settles the usual all-defaults case.
        names = [name for name, _ in optional]
        self.read_optional: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            itemgetter(*names) if len(names) > 1 else lambda values: (values[names[0]],)
        )
        self.defaults = tuple(default for _, default in optional)
        self.none_fields = none_fields  # handled only at None, checked by identity: ``obj``
        # may be anything, and comparing it could raise
        self.text_field = text_field  # get_content(NONE) is the ``text`` field itself
        self.writes_obj = writes_obj


def _model_serializer(cls: type[BaseModel]) -> str | None:
    """The name of the one model serializer of ``cls``, if nothing else shapes its dump."""
    decorators = cls.__pydantic_decorators__
    names = [d.func.__qualname__ for d in decorators.model_serializers.values()]
    if (
        len(names) != 1
        or decorators.field_serializers
        or decorators.computed_fields
        or cls.model_config.get("extra", "ignore") != "ignore"
    ):
        return None
    return names[0]


_SHAPES: dict[type[BaseNode], Shape | None] = {}
_RELATED_OK = (
    tuple(RelatedNodeInfo.model_fields) == _RELATED_FIELDS
    and _model_serializer(RelatedNodeInfo) == "BaseComponent.custom_model_dump"
)


def shape_of(cls: type[BaseNode]) -> Shape | None:
    try:
        return _SHAPES[cls]
    except KeyError:
        shape = _SHAPES[cls] = _build_shape(cls)
        return shape


def _build_shape(cls: type[BaseNode]) -> Shape | None:
    """The shape of a stock node class, or None to always use ``model_dump``.

    Subclasses are left out: they may add serializers, computed fields or validators.
    """
    if cls not in (Node, TextNode, IndexNode, ImageNode):
        return None
    serializer = _model_serializer(cls)
    if serializer not in _SERIALIZERS:
        return None
    required: list[str] = []
    optional: list[tuple[str, Any]] = []
    none_fields: list[str] = []
    for name, info in cls.model_fields.items():
        if name in _OWN_FIELDS:
            continue
        if name in _NONE_FIELDS and info.default is None and info.default_factory is None:
            none_fields.append(name)
        elif name not in _PLAIN_FIELDS:
            return None
        elif info.default_factory in (list, dict):
            optional.append((name, info.default_factory()))
        elif info.default_factory is not None:
            if name != "id_":
                return None
            # A fresh uuid4, which is what exclude_defaults compares with, never equals it.
            required.append(name)
        elif info.is_required():
            required.append(name)
        else:
            optional.append((name, info.default))
    if not optional:
        return None
    return Shape(
        cls.class_name(),
        tuple(required),
        tuple(optional),
        tuple(none_fields),
        text_field=cls.get_content is TextNode.get_content,
        writes_obj=_SERIALIZERS[serializer],
    )


def fast_parts(
    values: dict[str, Any], shape: Shape
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """``(ref_doc_id, node_id, user metadata, content)`` of a node of a known shape, from its
    field values (``__dict__``): what ``model_dump`` would give, without calling it.

    Raises:
        Unusual: a value this cannot copy exactly; use ``model_dump``.
    """
    for name in shape.none_fields:
        if values[name] is not None:
            raise Unusual
    content: dict[str, Any] = {"class_name": shape.class_name}
    for name in shape.required:
        content[name] = _json(values[name], 0)
    current = shape.read_optional(values)
    if current != shape.defaults:
        # exclude_defaults compares with ==, as this does, before converting anything.
        for (name, default), items, value in zip(
            shape.optional, shape.list_items, current, strict=True
        ):
            if value == default:
                continue
            if type(value) in _SCALARS:
                content[name] = value
            elif items is None or type(value) is not list or not items.issuperset(map(type, value)):
                raise Unusual  # pydantic would warn of the unexpected type
            else:  # a list of str, or of float (which _json checks are finite)
                content[name] = list(value) if items is _STR_ONLY else _json(value, 0)
    if shape.writes_obj:
        content["obj"] = None
    ref_doc_id = ""
    relationships = values["relationships"]
    if relationships:
        content["relationships"] = _relationships(relationships)
        source = relationships.get(NodeRelationship.SOURCE)
        if source is not None:
            ref_doc_id = source.node_id or ""
    user = _json_dict(values["metadata"])
    return ref_doc_id, values["id_"], user, content


def _relationships(relationships: Any) -> dict[str, Any]:
    if not _RELATED_OK or type(relationships) is not dict:
        raise Unusual
    out: dict[str, Any] = {}
    for kind, related in relationships.items():
        if type(kind) is not NodeRelationship:
            raise Unusual
        if type(related) is list:
            if kind is NodeRelationship.SOURCE:
                raise Unusual  # ref_doc_id raises on it
            out[_RELATION_KEYS[kind]] = [_related(r) for r in related]
        else:
            out[_RELATION_KEYS[kind]] = _related(related)
    return out


def _related(info: Any) -> dict[str, Any]:
    """A ``RelatedNodeInfo`` as ``model_dump`` writes it nested: without its defaults.

    Its assignments are not validated, so every field's type is checked: pydantic would warn.
    """
    if type(info) is not RelatedNodeInfo:
        raise Unusual
    node_id, node_type, metadata, hash_ = _read_related(info.__dict__)
    if type(node_id) is not str:
        raise Unusual
    out: dict[str, Any] = {"node_id": node_id, "class_name": "RelatedNodeInfo"}
    if type(node_type) is ObjectType:
        out["node_type"] = _OBJECT_TYPES[node_type]
    elif type(node_type) is str:
        out["node_type"] = node_type
    elif node_type is not None:
        raise Unusual
    if metadata or type(metadata) is not dict:  # a default {} is left out, anything else raises
        out["metadata"] = _json_dict(metadata)
    if type(hash_) is str:
        out["hash"] = hash_
    elif hash_ is not None:
        raise Unusual
    return out


def _json_dict(value: Any) -> dict[str, Any]:
    """``_json`` of a metadata dict, the usual flat one of str, int and bool checked in C."""
    if type(value) is not dict:
        raise Unusual
    if _SCALARS.issuperset(map(type, value.values())) and _STR_ONLY.issuperset(map(type, value)):
        return dict(value)  # its values are immutable: a shallow copy is a full one
    return _json(value, 0)  # type: ignore[no-any-return]


def _json(value: Any, depth: int) -> Any:
    """A copy of a value that JSON-mode ``model_dump`` returns as it is.

    Exact types only: subclasses (str enums, say) and tuples, sets, bytes, datetimes, non-str
    keys are converted by pydantic, and non-finite floats become None, so they raise.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise Unusual
        return value
    if depth >= _MAX_DEPTH:
        raise Unusual
    if kind is list:
        return [_json(item, depth + 1) for item in value]
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise Unusual
            out[key] = _json(item, depth + 1)
        return out
    raise Unusual
