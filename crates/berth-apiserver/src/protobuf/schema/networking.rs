//! networking.k8s.io/v1 (Ingresses as `kubectl create ingress` sends them, IngressClasses,
//! NetworkPolicies) and discovery.k8s.io/v1 EndpointSlices.

use super::Message;

#[rustfmt::skip]
pub(super) const MESSAGES: &[Message] = &[
    // networking.k8s.io/v1: ingresses.
    ("networking.v1.Ingress", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "IngressSpec"),
        (3, "status", "IngressStatus"),
    ]),
    ("networking.v1.IngressSpec", &[
        (1, "defaultBackend", "*IngressBackend"),
        (2, "tls", "[]IngressTLS"),
        (3, "rules", "[]IngressRule"),
        (4, "ingressClassName", "*string"),
    ]),
    ("networking.v1.IngressBackend", &[
        (3, "resource", "*core.v1.TypedLocalObjectReference"),
        (4, "service", "*IngressServiceBackend"),
    ]),
    ("networking.v1.IngressServiceBackend", &[
        (1, "name", "string"),
        (2, "port", "ServiceBackendPort"),
    ]),
    ("networking.v1.ServiceBackendPort", &[
        (1, "name", "string"),
        (2, "number", "int32"),
    ]),
    ("networking.v1.IngressTLS", &[
        (1, "hosts", "[]string"),
        (2, "secretName", "string"),
    ]),
    ("networking.v1.IngressRule", &[
        (1, "host", "string"),
        (2, "", "IngressRuleValue"),
    ]),
    ("networking.v1.IngressRuleValue", &[
        (1, "http", "*HTTPIngressRuleValue"),
    ]),
    ("networking.v1.HTTPIngressRuleValue", &[
        (1, "paths", "[]HTTPIngressPath"),
    ]),
    ("networking.v1.HTTPIngressPath", &[
        (1, "path", "string"),
        (2, "backend", "IngressBackend"),
        (3, "pathType", "*string"),
    ]),
    ("networking.v1.IngressStatus", &[
        (1, "loadBalancer", "IngressLoadBalancerStatus"),
    ]),
    ("networking.v1.IngressLoadBalancerStatus", &[
        (1, "ingress", "[]IngressLoadBalancerIngress"),
    ]),
    ("networking.v1.IngressLoadBalancerIngress", &[
        (1, "ip", "string"),
        (2, "hostname", "string"),
        (4, "ports", "[]IngressPortStatus"),
    ]),
    ("networking.v1.IngressPortStatus", &[
        (1, "port", "int32"),
        (2, "protocol", "string"),
        (3, "error", "*string"),
    ]),
    ("networking.v1.IngressClass", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "IngressClassSpec"),
    ]),
    ("networking.v1.IngressClassSpec", &[
        (1, "controller", "string"),
        (2, "parameters", "*IngressClassParametersReference"),
    ]),
    ("networking.v1.IngressClassParametersReference", &[
        (1, "apiGroup", "*string"),
        (2, "kind", "string"),
        (3, "name", "string"),
        (4, "scope", "*string"),
        (5, "namespace", "*string"),
    ]),

    // networking.k8s.io/v1: network policies.
    ("networking.v1.NetworkPolicy", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "NetworkPolicySpec"),
    ]),
    ("networking.v1.NetworkPolicySpec", &[
        (1, "podSelector", "meta.v1.LabelSelector"),
        (2, "ingress", "[]NetworkPolicyIngressRule"),
        (3, "egress", "[]NetworkPolicyEgressRule"),
        (4, "policyTypes", "[]string"),
    ]),
    ("networking.v1.NetworkPolicyIngressRule", &[
        (1, "ports", "[]NetworkPolicyPort"),
        (2, "from", "[]NetworkPolicyPeer"),
    ]),
    ("networking.v1.NetworkPolicyEgressRule", &[
        (1, "ports", "[]NetworkPolicyPort"),
        (2, "to", "[]NetworkPolicyPeer"),
    ]),
    ("networking.v1.NetworkPolicyPort", &[
        (1, "protocol", "*string"),
        (2, "port", "*intstr.IntOrString"),
        (3, "endPort", "*int32"),
    ]),
    ("networking.v1.NetworkPolicyPeer", &[
        (1, "podSelector", "*meta.v1.LabelSelector"),
        (2, "namespaceSelector", "*meta.v1.LabelSelector"),
        (3, "ipBlock", "*IPBlock"),
    ]),
    ("networking.v1.IPBlock", &[
        (1, "cidr", "string"),
        (2, "except", "[]string"),
    ]),

    // discovery.k8s.io/v1.
    ("discovery.v1.EndpointSlice", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "endpoints", "[]Endpoint"),
        (3, "ports", "[]EndpointPort"),
        (4, "addressType", "string"),
    ]),
    ("discovery.v1.Endpoint", &[
        (1, "addresses", "[]string"),
        (2, "conditions", "EndpointConditions"),
        (3, "hostname", "*string"),
        (4, "targetRef", "*core.v1.ObjectReference"),
        (5, "deprecatedTopology", "map[string]string"),
        (6, "nodeName", "*string"),
        (7, "zone", "*string"),
        (8, "hints", "*EndpointHints"),
    ]),
    ("discovery.v1.EndpointConditions", &[
        (1, "ready", "*bool"),
        (2, "serving", "*bool"),
        (3, "terminating", "*bool"),
    ]),
    ("discovery.v1.EndpointHints", &[
        (1, "forZones", "[]ForZone"),
        (2, "forNodes", "[]ForNode"),
    ]),
    ("discovery.v1.ForZone", &[
        (1, "name", "string"),
    ]),
    ("discovery.v1.ForNode", &[
        (1, "name", "string"),
    ]),
    ("discovery.v1.EndpointPort", &[
        (1, "name", "*string"),
        (2, "protocol", "*string"),
        (3, "port", "*int32"),
        (4, "appProtocol", "*string"),
    ]),
];
