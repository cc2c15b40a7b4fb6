"""Kubernetes objects checked against the API's own models (the `kubernetes` package's): every
key known to its type, every value of its type, every required field present."""

from __future__ import annotations

import re
from typing import Any

from kubernetes.client import models

_LIST = re.compile(r"[Ll]ist\[(.+)\]")
_DICT = re.compile(r"dict\(str, (.+)\)|Dict\[str, (.+)\]")
_PRIMITIVES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "bool": (bool,),
                                            "float": (int, float), "datetime": (str,),
                                            "date": (str,), "bytes": (str,)}


class Invalid(ValueError):
    """An object that does not fit its model; the message says where."""


def model_name(obj: dict[str, Any]) -> str:
    """The model class of an object: `apps/v1` `Deployment` is `V1Deployment`."""
    version = obj["apiVersion"].rsplit("/", 1)[-1]
    return f"{version[0].upper()}{version[1:]}{obj['kind']}"


def checked(value: Any, kind: str, where: str = "") -> Any:
    """`value` built as the model type `kind` names; `Invalid` where it does not fit."""
    if found := _LIST.fullmatch(kind):
        if not isinstance(value, list):
            raise Invalid(f"{where}: a list expected, got {value!r}")
        return [checked(v, found.group(1), f"{where}[{i}]") for i, v in enumerate(value)]
    if found := _DICT.fullmatch(kind):
        if not isinstance(value, dict):
            raise Invalid(f"{where}: a mapping expected, got {value!r}")
        inner = found.group(1) or found.group(2)
        return {k: checked(v, inner, f"{where}.{k}") for k, v in value.items()}
    if kind == "object":
        return value
    if kind in _PRIMITIVES:
        boolean_for_number = isinstance(value, bool) and kind != "bool"
        if boolean_for_number or not isinstance(value, _PRIMITIVES[kind]):
            raise Invalid(f"{where}: {kind} expected, got {value!r}")
        return value
    cls = getattr(models, kind)
    if not isinstance(value, dict):
        raise Invalid(f"{where}: {kind} expected, got {value!r}")
    attributes = {json_key: name for name, json_key in cls.attribute_map.items()}
    unknown = sorted(set(value) - set(attributes))
    if unknown:
        raise Invalid(f"{where}: {kind} has no field {', '.join(unknown)}")
    fields = {attributes[k]: checked(v, cls.openapi_types[attributes[k]], f"{where}.{k}")
              for k, v in value.items()}
    try:
        return cls(**fields)
    except ValueError as error:
        raise Invalid(f"{where}: {kind}: {error}") from error
