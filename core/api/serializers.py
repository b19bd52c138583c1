"""Serializer bases shared by every app's API."""

from __future__ import annotations

import copy
from typing import Any

from rest_framework import serializers


class ModelOutputSerializer(serializers.ModelSerializer):
    """A ModelSerializer that works out its fields once per class rather than per instance.

    DRF rebuilds a ModelSerializer's fields from the model's metadata every time one is made
    (for a nested `many=True`, once per response); on an order with its lines and events that
    was most of the time spent answering. The fields depend only on the class and its Meta, so
    each instance gets a fresh copy of the ones built the first time, the same way DRF already
    copies declared fields.
    """

    _fields_built: dict[str, Any] | None = None

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            cls._fields_built = built
        return copy.deepcopy(built)
