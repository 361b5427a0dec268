"""Pure building blocks of vector search: schemas, filters, query builders, codecs, MMR.

Nothing here does I/O; :class:`~redisai_core.AsyncVectorIndex` and its sync twin
:class:`~redisai_core.VectorIndex` send what these modules build.
"""

from .filters import (
    All,
    And,
    Between,
    Compare,
    Expr,
    FieldRef,
    GeoWithin,
    IsEmpty,
    Never,
    Not,
    Or,
    field,
    from_dict,
)
from .mmr import mmr_select
from .queries import SearchHit, SearchPage, relevance_score
from .records import Record
from .rendering import RenderedFilter, render
from .schema import (
    Algorithm,
    DistanceMetric,
    FieldSpec,
    GeoFieldSpec,
    IndexSchema,
    NumericFieldSpec,
    TagFieldSpec,
    TextFieldSpec,
    VectorDataType,
    VectorFieldSpec,
    infer_fields,
)

__all__ = [
    "Algorithm",
    "All",
    "And",
    "Between",
    "Compare",
    "DistanceMetric",
    "Expr",
    "FieldRef",
    "FieldSpec",
    "GeoFieldSpec",
    "GeoWithin",
    "IndexSchema",
    "IsEmpty",
    "Never",
    "Not",
    "NumericFieldSpec",
    "Or",
    "Record",
    "RenderedFilter",
    "SearchHit",
    "SearchPage",
    "TagFieldSpec",
    "TextFieldSpec",
    "VectorDataType",
    "VectorFieldSpec",
    "field",
    "from_dict",
    "infer_fields",
    "mmr_select",
    "relevance_score",
    "render",
]
