"""JSON schemas for the custom resources Beacon's manifests use (KEDA, RabbitMQ Cluster
Operator, Prometheus Operator). kubernetes-validate knows only built-in kinds, so these cover the fields we set, with
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

# Prometheus Operator (monitoring.coreos.com/v1).
SELECTOR = {
    "type": "object",
    "properties": {
        "matchLabels": STRINGS,
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
RELABELINGS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "sourceLabels": {"type": "array", "items": {"type": "string"}},
            "targetLabel": {"type": "string"},
            "regex": {"type": "string"},
            "replacement": {"type": "string"},
            "action": {"type": "string"},
            "separator": {"type": "string"},
        },
        "additionalProperties": False,
    },
}
DURATION = {"type": "string", "pattern": "^([0-9]+(ms|s|m|h|d|w|y))+$"}
ENDPOINT = {
    "type": "object",
    "required": ["port"],
    "properties": {
        "port": {"type": "string"},
        "path": {"type": "string"},
        "interval": DURATION,
        "scrapeTimeout": DURATION,
        "params": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "relabelings": RELABELINGS,
        "metricRelabelings": RELABELINGS,
    },
    "additionalProperties": False,
}
POD_MONITOR = resource(
    "monitoring.coreos.com/v1",
    "PodMonitor",
    {
        "type": "object",
        "required": ["selector", "podMetricsEndpoints"],
        "properties": {
            "selector": SELECTOR,
            "podMetricsEndpoints": {"type": "array", "items": ENDPOINT, "minItems": 1},
        },
        "additionalProperties": False,
    },
)
SERVICE_MONITOR = resource(
    "monitoring.coreos.com/v1",
    "ServiceMonitor",
    {
        "type": "object",
        "required": ["selector", "endpoints"],
        "properties": {
            "selector": SELECTOR,
            "endpoints": {"type": "array", "items": ENDPOINT, "minItems": 1},
        },
        "additionalProperties": False,
    },
)
RULE = {
    "type": "object",
    "required": ["expr"],
    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
    "properties": {
        "alert": {"type": "string"},
        "record": {"type": "string"},
        "expr": {"type": "string"},
        "for": DURATION,
        "labels": STRINGS,
        "annotations": STRINGS,
    },
    "additionalProperties": False,
}
PROMETHEUS_RULE = resource(
    "monitoring.coreos.com/v1",
    "PrometheusRule",
    {
        "type": "object",
        "required": ["groups"],
        "properties": {
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "properties": {
                        "name": {"type": "string"},
                        "interval": DURATION,
                        "rules": {"type": "array", "items": RULE, "minItems": 1},
                    },
                    "additionalProperties": False,
                },
            }
        },
        "additionalProperties": False,
    },
)

SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): TRIGGER_AUTHENTICATION,
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): RABBITMQ_CLUSTER,
    ("monitoring.coreos.com/v1", "PodMonitor"): POD_MONITOR,
    ("monitoring.coreos.com/v1", "ServiceMonitor"): SERVICE_MONITOR,
    ("monitoring.coreos.com/v1", "PrometheusRule"): PROMETHEUS_RULE,
}
