"""JSON schemas for the custom resources Beacon's manifests use (KEDA, RabbitMQ Cluster
Operator). kubernetes-validate knows only built-in kinds, so these cover the fields we set, with
their types and required parts as the operators' CRDs define them (keda.sh/v1alpha1 of KEDA 2.x,
rabbitmq.com/v1beta1 of the Cluster Operator 2.x); unknown fields are errors, as in strict mode.
"""

from __future__ import annotations

from typing import Any

METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
QUANTITIES = {"type": "object", "additionalProperties": {"type": ["string", "integer"]}}


def resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": METADATA,
            "spec": spec,
        },
        "additionalProperties": False,
    }


TRIGGER = {
    "type": "object",
    "required": ["type", "metadata"],
    "properties": {
        "type": {"enum": ["rabbitmq", "cpu", "memory", "mysql", "prometheus"]},
        "name": {"type": "string"},
        "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
        "metadata": STRINGS,
        "authenticationRef": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "kind": {"type": "string"}},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

SCALED_OBJECT = resource(
    "keda.sh/v1alpha1",
    "ScaledObject",
    {
        "type": "object",
        "required": ["scaleTargetRef", "triggers"],
        "properties": {
            "scaleTargetRef": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"type": "string"},
                    "apiVersion": {"type": "string"},
                },
                "additionalProperties": False,
            },
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "pollingInterval": {"type": "integer", "minimum": 1},
            "cooldownPeriod": {"type": "integer", "minimum": 0},
            "triggers": {"type": "array", "minItems": 1, "items": TRIGGER},
        },
        "additionalProperties": False,
    },
)

TRIGGER_AUTHENTICATION = resource(
    "keda.sh/v1alpha1",
    "TriggerAuthentication",
    {
        "type": "object",
        "required": ["secretTargetRef"],
        "properties": {
            "secretTargetRef": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["parameter", "name", "key"],
                    "properties": {k: {"type": "string"} for k in ("parameter", "name", "key")},
                    "additionalProperties": False,
                },
            }
        },
        "additionalProperties": False,
    },
)

RABBITMQ_CLUSTER = resource(
    "rabbitmq.com/v1beta1",
    "RabbitmqCluster",
    {
        "type": "object",
        "properties": {
            "replicas": {"type": "integer", "minimum": 1},
            "image": {"type": "string"},
            "resources": {
                "type": "object",
                "properties": {"requests": QUANTITIES, "limits": QUANTITIES},
                "additionalProperties": False,
            },
            "persistence": {
                "type": "object",
                "properties": {
                    "storage": {"type": "string"},
                    "storageClassName": {"type": "string"},
                },
                "additionalProperties": False,
            },
            "rabbitmq": {
                "type": "object",
                "properties": {
                    "additionalPlugins": {"type": "array", "items": {"type": "string"}},
                    "additionalConfig": {"type": "string", "maxLength": 2000},
                    "advancedConfig": {"type": "string"},
                },
                "additionalProperties": False,
            },
            "affinity": {"type": "object"},
            "tolerations": {"type": "array"},
            "override": {
                "type": "object",
                "properties": {"statefulSet": {"type": "object"}, "service": {"type": "object"}},
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
)

SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): TRIGGER_AUTHENTICATION,
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): RABBITMQ_CLUSTER,
}
