//! How workloads scale, and what may disrupt or preempt them: autoscaling/v2 and v1
//! HorizontalPodAutoscalers (`kubectl autoscale`), policy/v1 PodDisruptionBudgets (`kubectl
//! create poddisruptionbudget`) and scheduling.k8s.io/v1 PriorityClasses (`kubectl create
//! priorityclass`).

use super::Message;

#[rustfmt::skip]
pub(super) const MESSAGES: &[Message] = &[
    // policy/v1.
    ("policy.v1.PodDisruptionBudget", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "PodDisruptionBudgetSpec"),
        (3, "status", "PodDisruptionBudgetStatus"),
    ]),
    ("policy.v1.PodDisruptionBudgetSpec", &[
        (1, "minAvailable", "*intstr.IntOrString"),
        (2, "selector", "*meta.v1.LabelSelector"),
        (3, "maxUnavailable", "*intstr.IntOrString"),
        (4, "unhealthyPodEvictionPolicy", "*string"),
    ]),
    ("policy.v1.PodDisruptionBudgetStatus", &[
        (1, "observedGeneration", "int64"),
        (2, "disruptedPods", "map[string]meta.v1.Time"),
        (3, "disruptionsAllowed", "int32"),
        (4, "currentHealthy", "int32"),
        (5, "desiredHealthy", "int32"),
        (6, "expectedPods", "int32"),
        (7, "conditions", "[]meta.v1.Condition"),
    ]),

    ("policy.v1.Eviction", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "deleteOptions", "*meta.v1.DeleteOptions"),
    ]),

    // scheduling.k8s.io/v1.
    ("scheduling.v1.PriorityClass", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "value", "!int32"),
        (3, "globalDefault", "bool"),
        (4, "description", "string"),
        (5, "preemptionPolicy", "*string"),
    ]),

    // autoscaling/v2.
    ("autoscaling.v2.HorizontalPodAutoscaler", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "HorizontalPodAutoscalerSpec"),
        (3, "status", "HorizontalPodAutoscalerStatus"),
    ]),
    ("autoscaling.v2.HorizontalPodAutoscalerSpec", &[
        (1, "scaleTargetRef", "CrossVersionObjectReference"),
        (2, "minReplicas", "*int32"),
        (3, "maxReplicas", "int32"),
        (4, "metrics", "[]MetricSpec"),
        (5, "behavior", "*HorizontalPodAutoscalerBehavior"),
    ]),
    ("autoscaling.v2.CrossVersionObjectReference", &[
        (1, "kind", "string"),
        (2, "name", "string"),
        (3, "apiVersion", "string"),
    ]),
    ("autoscaling.v2.MetricSpec", &[
        (1, "type", "string"),
        (2, "object", "*ObjectMetricSource"),
        (3, "pods", "*PodsMetricSource"),
        (4, "resource", "*ResourceMetricSource"),
        (5, "external", "*ExternalMetricSource"),
        (7, "containerResource", "*ContainerResourceMetricSource"),
    ]),
    ("autoscaling.v2.ObjectMetricSource", &[
        (1, "describedObject", "CrossVersionObjectReference"),
        (2, "target", "MetricTarget"),
        (3, "metric", "MetricIdentifier"),
    ]),
    ("autoscaling.v2.PodsMetricSource", &[
        (1, "metric", "MetricIdentifier"),
        (2, "target", "MetricTarget"),
    ]),
    ("autoscaling.v2.ResourceMetricSource", &[
        (1, "name", "string"),
        (2, "target", "MetricTarget"),
    ]),
    ("autoscaling.v2.ContainerResourceMetricSource", &[
        (1, "name", "string"),
        (2, "target", "MetricTarget"),
        (3, "container", "string"),
    ]),
    ("autoscaling.v2.ExternalMetricSource", &[
        (1, "metric", "MetricIdentifier"),
        (2, "target", "MetricTarget"),
    ]),
    ("autoscaling.v2.MetricIdentifier", &[
        (1, "name", "string"),
        (2, "selector", "*meta.v1.LabelSelector"),
    ]),
    ("autoscaling.v2.MetricTarget", &[
        (1, "type", "string"),
        (2, "value", "*resource.Quantity"),
        (3, "averageValue", "*resource.Quantity"),
        (4, "averageUtilization", "*int32"),
    ]),
    ("autoscaling.v2.HorizontalPodAutoscalerBehavior", &[
        (1, "scaleUp", "*HPAScalingRules"),
        (2, "scaleDown", "*HPAScalingRules"),
    ]),
    ("autoscaling.v2.HPAScalingRules", &[
        (1, "selectPolicy", "*string"),
        (2, "policies", "[]HPAScalingPolicy"),
        (3, "stabilizationWindowSeconds", "*int32"),
        (4, "tolerance", "*resource.Quantity"),
    ]),
    ("autoscaling.v2.HPAScalingPolicy", &[
        (1, "type", "string"),
        (2, "value", "int32"),
        (3, "periodSeconds", "int32"),
    ]),
    ("autoscaling.v2.HorizontalPodAutoscalerStatus", &[
        (1, "observedGeneration", "*int64"),
        (2, "lastScaleTime", "*meta.v1.Time"),
        (3, "currentReplicas", "int32"),
        (4, "desiredReplicas", "int32"),
        (5, "currentMetrics", "[]MetricStatus"),
        (6, "conditions", "[]HorizontalPodAutoscalerCondition"),
    ]),
    ("autoscaling.v2.HorizontalPodAutoscalerCondition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (3, "lastTransitionTime", "meta.v1.Time"),
        (4, "reason", "string"),
        (5, "message", "string"),
    ]),
    ("autoscaling.v2.MetricStatus", &[
        (1, "type", "string"),
        (2, "object", "*ObjectMetricStatus"),
        (3, "pods", "*PodsMetricStatus"),
        (4, "resource", "*ResourceMetricStatus"),
        (5, "external", "*ExternalMetricStatus"),
        (7, "containerResource", "*ContainerResourceMetricStatus"),
    ]),
    ("autoscaling.v2.ObjectMetricStatus", &[
        (1, "metric", "MetricIdentifier"),
        (2, "current", "MetricValueStatus"),
        (3, "describedObject", "CrossVersionObjectReference"),
    ]),
    ("autoscaling.v2.PodsMetricStatus", &[
        (1, "metric", "MetricIdentifier"),
        (2, "current", "MetricValueStatus"),
    ]),
    ("autoscaling.v2.ResourceMetricStatus", &[
        (1, "name", "string"),
        (2, "current", "MetricValueStatus"),
    ]),
    ("autoscaling.v2.ContainerResourceMetricStatus", &[
        (1, "name", "string"),
        (2, "current", "MetricValueStatus"),
        (3, "container", "string"),
    ]),
    ("autoscaling.v2.ExternalMetricStatus", &[
        (1, "metric", "MetricIdentifier"),
        (2, "current", "MetricValueStatus"),
    ]),
    ("autoscaling.v2.MetricValueStatus", &[
        (1, "value", "*resource.Quantity"),
        (2, "averageValue", "*resource.Quantity"),
        (3, "averageUtilization", "*int32"),
    ]),

    // autoscaling/v1: the older HorizontalPodAutoscaler (CPU only) and Scale.
    ("autoscaling.v1.HorizontalPodAutoscaler", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "HorizontalPodAutoscalerSpec"),
        (3, "status", "HorizontalPodAutoscalerStatus"),
    ]),
    ("autoscaling.v1.HorizontalPodAutoscalerSpec", &[
        (1, "scaleTargetRef", "CrossVersionObjectReference"),
        (2, "minReplicas", "*int32"),
        (3, "maxReplicas", "int32"),
        (4, "targetCPUUtilizationPercentage", "*int32"),
    ]),
    ("autoscaling.v1.CrossVersionObjectReference", &[
        (1, "kind", "string"),
        (2, "name", "string"),
        (3, "apiVersion", "string"),
    ]),
    ("autoscaling.v1.HorizontalPodAutoscalerStatus", &[
        (1, "observedGeneration", "*int64"),
        (2, "lastScaleTime", "*meta.v1.Time"),
        (3, "currentReplicas", "int32"),
        (4, "desiredReplicas", "int32"),
        (5, "currentCPUUtilizationPercentage", "*int32"),
    ]),
    ("autoscaling.v1.Scale", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "ScaleSpec"),
        (3, "status", "ScaleStatus"),
    ]),
    ("autoscaling.v1.ScaleSpec", &[
        (1, "replicas", "int32"),
    ]),
    ("autoscaling.v1.ScaleStatus", &[
        (1, "replicas", "int32"),
        (2, "selector", "string"),
    ]),
];
