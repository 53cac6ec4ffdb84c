//! core/v1 objects outside pods and volumes: namespaces, config, identities, quotas and
//! limits, services and endpoints, events, nodes; with them events.k8s.io/v1 Events (the newer
//! form of the same events) and coordination.k8s.io/v1 Leases (node heartbeats, leader
//! election).

use super::Message;

#[rustfmt::skip]
pub(super) const MESSAGES: &[Message] = &[
    // k8s.io/api/core/v1: namespaces, config, identities.
    ("core.v1.Namespace", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "NamespaceSpec"),
        (3, "status", "NamespaceStatus"),
    ]),
    ("core.v1.NamespaceSpec", &[
        (1, "finalizers", "[]string"),
    ]),
    ("core.v1.NamespaceStatus", &[
        (1, "phase", "string"),
        (2, "conditions", "[]NamespaceCondition"),
    ]),
    ("core.v1.NamespaceCondition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (4, "lastTransitionTime", "meta.v1.Time"),
        (5, "reason", "string"),
        (6, "message", "string"),
    ]),
    ("core.v1.ConfigMap", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "data", "map[string]string"),
        (3, "binaryData", "map[string]bytes"),
        (4, "immutable", "*bool"),
    ]),
    ("core.v1.Secret", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "data", "map[string]bytes"),
        (3, "type", "string"),
        (4, "stringData", "map[string]string"),
        (5, "immutable", "*bool"),
    ]),
    ("core.v1.ServiceAccount", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "secrets", "[]ObjectReference"),
        (3, "imagePullSecrets", "[]LocalObjectReference"),
        (4, "automountServiceAccountToken", "*bool"),
    ]),
    ("core.v1.ObjectReference", &[
        (1, "kind", "string"),
        (2, "namespace", "string"),
        (3, "name", "string"),
        (4, "uid", "string"),
        (5, "apiVersion", "string"),
        (6, "resourceVersion", "string"),
        (7, "fieldPath", "string"),
    ]),
    ("core.v1.LocalObjectReference", &[
        (1, "name", "string"),
    ]),

    // k8s.io/api/core/v1: services.
    ("core.v1.Service", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "ServiceSpec"),
        (3, "status", "ServiceStatus"),
    ]),
    ("core.v1.ServiceSpec", &[
        (1, "ports", "[]ServicePort"),
        (2, "selector", "map[string]string"),
        (3, "clusterIP", "string"),
        (4, "type", "string"),
        (5, "externalIPs", "[]string"),
        (7, "sessionAffinity", "string"),
        (8, "loadBalancerIP", "string"),
        (9, "loadBalancerSourceRanges", "[]string"),
        (10, "externalName", "string"),
        (11, "externalTrafficPolicy", "string"),
        (12, "healthCheckNodePort", "int32"),
        (13, "publishNotReadyAddresses", "bool"),
        (14, "sessionAffinityConfig", "*SessionAffinityConfig"),
        (17, "ipFamilyPolicy", "*string"),
        (18, "clusterIPs", "[]string"),
        (19, "ipFamilies", "[]string"),
        (20, "allocateLoadBalancerNodePorts", "*bool"),
        (21, "loadBalancerClass", "*string"),
        (22, "internalTrafficPolicy", "*string"),
        (23, "trafficDistribution", "*string"),
    ]),
    ("core.v1.ServicePort", &[
        (1, "name", "string"),
        (2, "protocol", "string"),
        (3, "port", "int32"),
        (4, "targetPort", "intstr.IntOrString"),
        (5, "nodePort", "int32"),
        (6, "appProtocol", "*string"),
    ]),
    ("core.v1.SessionAffinityConfig", &[
        (1, "clientIP", "*ClientIPConfig"),
    ]),
    ("core.v1.ClientIPConfig", &[
        (1, "timeoutSeconds", "*int32"),
    ]),
    ("core.v1.ServiceStatus", &[
        (1, "loadBalancer", "LoadBalancerStatus"),
        (2, "conditions", "[]meta.v1.Condition"),
    ]),
    ("core.v1.LoadBalancerStatus", &[
        (1, "ingress", "[]LoadBalancerIngress"),
    ]),
    ("core.v1.LoadBalancerIngress", &[
        (1, "ip", "string"),
        (2, "hostname", "string"),
        (3, "ipMode", "*string"),
        (4, "ports", "[]PortStatus"),
    ]),
    ("core.v1.PortStatus", &[
        (1, "port", "int32"),
        (2, "protocol", "string"),
        (3, "error", "*string"),
    ]),

    // k8s.io/api/core/v1: quotas and limits.
    ("core.v1.ResourceQuota", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "ResourceQuotaSpec"),
        (3, "status", "ResourceQuotaStatus"),
    ]),
    ("core.v1.ResourceQuotaSpec", &[
        (1, "hard", "map[string]resource.Quantity"),
        (2, "scopes", "[]string"),
        (3, "scopeSelector", "*ScopeSelector"),
    ]),
    ("core.v1.ScopeSelector", &[
        (1, "matchExpressions", "[]ScopedResourceSelectorRequirement"),
    ]),
    ("core.v1.ScopedResourceSelectorRequirement", &[
        (1, "scopeName", "string"),
        (2, "operator", "string"),
        (3, "values", "[]string"),
    ]),
    ("core.v1.ResourceQuotaStatus", &[
        (1, "hard", "map[string]resource.Quantity"),
        (2, "used", "map[string]resource.Quantity"),
    ]),
    ("core.v1.LimitRange", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "LimitRangeSpec"),
    ]),
    ("core.v1.LimitRangeSpec", &[
        (1, "limits", "[]LimitRangeItem"),
    ]),
    ("core.v1.LimitRangeItem", &[
        (1, "type", "string"),
        (2, "max", "map[string]resource.Quantity"),
        (3, "min", "map[string]resource.Quantity"),
        (4, "default", "map[string]resource.Quantity"),
        (5, "defaultRequest", "map[string]resource.Quantity"),
        (6, "maxLimitRequestRatio", "map[string]resource.Quantity"),
    ]),

    // k8s.io/api/core/v1: endpoints.
    ("core.v1.Endpoints", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "subsets", "[]EndpointSubset"),
    ]),
    ("core.v1.EndpointSubset", &[
        (1, "addresses", "[]EndpointAddress"),
        (2, "notReadyAddresses", "[]EndpointAddress"),
        (3, "ports", "[]EndpointPort"),
    ]),
    ("core.v1.EndpointAddress", &[
        (1, "ip", "string"),
        (2, "targetRef", "*ObjectReference"),
        (3, "hostname", "string"),
        (4, "nodeName", "*string"),
    ]),
    ("core.v1.EndpointPort", &[
        (1, "name", "string"),
        (2, "port", "int32"),
        (3, "protocol", "string"),
        (4, "appProtocol", "*string"),
    ]),

    // k8s.io/api/core/v1: events, and the scheduler's binding of a pod to a node.
    ("core.v1.Event", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "involvedObject", "ObjectReference"),
        (3, "reason", "string"),
        (4, "message", "string"),
        (5, "source", "EventSource"),
        (6, "firstTimestamp", "meta.v1.Time"),
        (7, "lastTimestamp", "meta.v1.Time"),
        (8, "count", "int32"),
        (9, "type", "string"),
        (10, "eventTime", "meta.v1.MicroTime"),
        (11, "series", "*EventSeries"),
        (12, "action", "string"),
        (13, "related", "*ObjectReference"),
        (14, "reportingComponent", "string"),
        (15, "reportingInstance", "string"),
    ]),
    ("core.v1.EventSource", &[
        (1, "component", "string"),
        (2, "host", "string"),
    ]),
    ("core.v1.EventSeries", &[
        (1, "count", "int32"),
        (2, "lastObservedTime", "meta.v1.MicroTime"),
    ]),
    ("core.v1.Binding", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "target", "ObjectReference"),
    ]),

    // k8s.io/api/core/v1: nodes.
    ("core.v1.Node", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "NodeSpec"),
        (3, "status", "NodeStatus"),
    ]),
    ("core.v1.NodeSpec", &[
        (1, "podCIDR", "string"),
        (2, "externalID", "string"),
        (3, "providerID", "string"),
        (4, "unschedulable", "bool"),
        (5, "taints", "[]Taint"),
        (6, "configSource", "*NodeConfigSource"),
        (7, "podCIDRs", "[]string"),
    ]),
    ("core.v1.Taint", &[
        (1, "key", "string"),
        (2, "value", "string"),
        (3, "effect", "string"),
        (4, "timeAdded", "*meta.v1.Time"),
    ]),
    ("core.v1.NodeConfigSource", &[
        (2, "configMap", "*ConfigMapNodeConfigSource"),
    ]),
    ("core.v1.ConfigMapNodeConfigSource", &[
        (1, "namespace", "string"),
        (2, "name", "string"),
        (3, "uid", "string"),
        (4, "resourceVersion", "string"),
        (5, "kubeletConfigKey", "string"),
    ]),
    ("core.v1.NodeStatus", &[
        (1, "capacity", "map[string]resource.Quantity"),
        (2, "allocatable", "map[string]resource.Quantity"),
        (3, "phase", "string"),
        (4, "conditions", "[]NodeCondition"),
        (5, "addresses", "[]NodeAddress"),
        (6, "daemonEndpoints", "NodeDaemonEndpoints"),
        (7, "nodeInfo", "NodeSystemInfo"),
        (8, "images", "[]ContainerImage"),
        (9, "volumesInUse", "[]string"),
        (10, "volumesAttached", "[]AttachedVolume"),
        (11, "config", "*NodeConfigStatus"),
        (12, "runtimeHandlers", "[]NodeRuntimeHandler"),
        (13, "features", "*NodeFeatures"),
    ]),
    ("core.v1.NodeCondition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (3, "lastHeartbeatTime", "meta.v1.Time"),
        (4, "lastTransitionTime", "meta.v1.Time"),
        (5, "reason", "string"),
        (6, "message", "string"),
    ]),
    ("core.v1.NodeAddress", &[
        (1, "type", "string"),
        (2, "address", "string"),
    ]),
    ("core.v1.NodeDaemonEndpoints", &[
        (1, "kubeletEndpoint", "DaemonEndpoint"),
    ]),
    ("core.v1.DaemonEndpoint", &[
        (1, "Port", "int32"),
    ]),
    ("core.v1.NodeSystemInfo", &[
        (1, "machineID", "string"),
        (2, "systemUUID", "string"),
        (3, "bootID", "string"),
        (4, "kernelVersion", "string"),
        (5, "osImage", "string"),
        (6, "containerRuntimeVersion", "string"),
        (7, "kubeletVersion", "string"),
        (8, "kubeProxyVersion", "string"),
        (9, "operatingSystem", "string"),
        (10, "architecture", "string"),
        (11, "swap", "*NodeSwapStatus"),
    ]),
    ("core.v1.NodeSwapStatus", &[
        (1, "capacity", "*int64"),
    ]),
    ("core.v1.ContainerImage", &[
        (1, "names", "[]string"),
        (2, "sizeBytes", "int64"),
    ]),
    ("core.v1.AttachedVolume", &[
        (1, "name", "string"),
        (2, "devicePath", "string"),
    ]),
    ("core.v1.NodeConfigStatus", &[
        (1, "assigned", "*NodeConfigSource"),
        (2, "active", "*NodeConfigSource"),
        (3, "lastKnownGood", "*NodeConfigSource"),
        (4, "error", "string"),
    ]),
    ("core.v1.NodeRuntimeHandler", &[
        (1, "name", "string"),
        (2, "features", "*NodeRuntimeHandlerFeatures"),
    ]),
    ("core.v1.NodeRuntimeHandlerFeatures", &[
        (1, "recursiveReadOnlyMounts", "*bool"),
        (2, "userNamespaces", "*bool"),
    ]),
    ("core.v1.NodeFeatures", &[
        (1, "supplementalGroupsPolicy", "*bool"),
    ]),

    // events.k8s.io/v1.
    ("events.v1.Event", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "eventTime", "meta.v1.MicroTime"),
        (3, "series", "*EventSeries"),
        (4, "reportingController", "string"),
        (5, "reportingInstance", "string"),
        (6, "action", "string"),
        (7, "reason", "string"),
        (8, "regarding", "core.v1.ObjectReference"),
        (9, "related", "*core.v1.ObjectReference"),
        (10, "note", "string"),
        (11, "type", "string"),
        (12, "deprecatedSource", "core.v1.EventSource"),
        (13, "deprecatedFirstTimestamp", "meta.v1.Time"),
        (14, "deprecatedLastTimestamp", "meta.v1.Time"),
        (15, "deprecatedCount", "int32"),
    ]),
    ("events.v1.EventSeries", &[
        (1, "count", "int32"),
        (2, "lastObservedTime", "meta.v1.MicroTime"),
    ]),

    // coordination.k8s.io/v1.
    ("coordination.v1.Lease", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "LeaseSpec"),
    ]),
    ("coordination.v1.LeaseSpec", &[
        (1, "holderIdentity", "*string"),
        (2, "leaseDurationSeconds", "*int32"),
        (3, "acquireTime", "*meta.v1.MicroTime"),
        (4, "renewTime", "*meta.v1.MicroTime"),
        (5, "leaseTransitions", "*int32"),
        (6, "strategy", "*string"),
        (7, "preferredHolder", "*string"),
    ]),
];
