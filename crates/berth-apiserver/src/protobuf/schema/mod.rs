//! The protobuf schema berth reads, written out by hand: for each message, one line per field
//! with its field number, its JSON name and its Go type. [`super::descriptors`] turns it into a
//! `prost_reflect::DescriptorPool` once, at the first protobuf request.
//!
//! It covers what kubectl's create generators (`create namespace|configmap|secret|serviceaccount|
//! deployment|job|cronjob|service`) and typical typed clients send. A body with a field that is
//! not listed here is refused with 415 naming the message and the field number, never dropped;
//! a kind not listed is refused with 415 too. Adding a field is one line.
//!
//! Field numbers are those of the Kubernetes API's protobuf encoding, as the `k8s-pb` crate
//! (which the tests use to encode bodies) and the API reference give them.
//!
//! The Go type decides how the JSON is written:
//! - `string`, `bool`, `int32`, `int64`, `bytes`: a Go value. Go's encoder writes it even when
//!   it is zero, so zero means unset and is left out of the JSON.
//! - `*T`: a Go pointer. Present means set, even to zero (`replicas: 0`, `suspend: false`).
//! - `[]T` and `map[string]T`: repeated fields and maps.
//! - Any other name is a message: `PodSpec` in the same package, `meta.v1.Time` in another.
//! - An empty JSON name is a Go struct inlined into its parent (`json:",inline"`): its fields
//!   are written as the parent's.
//!
//! Since Go writes every plain field, a message listed here must list all of its fields that
//! are not pointers, slices or maps; the others may be left out until a client needs them.
//!
//! Messages with a JSON form of their own (`meta.v1.Time`, `intstr.IntOrString`,
//! `resource.Quantity`, `meta.v1.FieldsV1`) are special cases in [`super::json`].

/// One field: number, JSON name (empty when inlined), Go type.
pub(super) type Field = (i32, &'static str, &'static str);

/// Every message by full name (`package.Name`). A package only refers to packages above it.
#[rustfmt::skip]
pub(super) const MESSAGES: &[(&str, &[Field])] = &[
    // k8s.io/apimachinery/pkg/runtime: the envelope.
    ("runtime.TypeMeta", &[
        (1, "apiVersion", "string"),
        (2, "kind", "string"),
    ]),
    ("runtime.Unknown", &[
        (1, "typeMeta", "TypeMeta"),
        (2, "raw", "bytes"),
        (3, "contentEncoding", "string"),
        (4, "contentType", "string"),
    ]),

    // k8s.io/apimachinery/pkg/util/intstr and pkg/api/resource.
    ("intstr.IntOrString", &[
        (1, "type", "int64"),
        (2, "intVal", "int32"),
        (3, "strVal", "string"),
    ]),
    ("resource.Quantity", &[
        (1, "string", "string"),
    ]),

    // k8s.io/apimachinery/pkg/apis/meta/v1.
    ("meta.v1.Time", &[
        (1, "seconds", "int64"),
        (2, "nanos", "int32"),
    ]),
    ("meta.v1.MicroTime", &[
        (1, "seconds", "int64"),
        (2, "nanos", "int32"),
    ]),
    ("meta.v1.ObjectMeta", &[
        (1, "name", "string"),
        (2, "generateName", "string"),
        (3, "namespace", "string"),
        (4, "selfLink", "string"),
        (5, "uid", "string"),
        (6, "resourceVersion", "string"),
        (7, "generation", "int64"),
        (8, "creationTimestamp", "Time"),
        (9, "deletionTimestamp", "*Time"),
        (10, "deletionGracePeriodSeconds", "*int64"),
        (11, "labels", "map[string]string"),
        (12, "annotations", "map[string]string"),
        (13, "ownerReferences", "[]OwnerReference"),
        (14, "finalizers", "[]string"),
        (17, "managedFields", "[]ManagedFieldsEntry"),
    ]),
    ("meta.v1.OwnerReference", &[
        (1, "kind", "string"),
        (3, "name", "string"),
        (4, "uid", "string"),
        (5, "apiVersion", "string"),
        (6, "controller", "*bool"),
        (7, "blockOwnerDeletion", "*bool"),
    ]),
    ("meta.v1.ManagedFieldsEntry", &[
        (1, "manager", "string"),
        (2, "operation", "string"),
        (3, "apiVersion", "string"),
        (4, "time", "*Time"),
        (6, "fieldsType", "string"),
        (7, "fieldsV1", "*FieldsV1"),
        (8, "subresource", "string"),
    ]),
    ("meta.v1.FieldsV1", &[
        (1, "raw", "bytes"),
    ]),
    ("meta.v1.LabelSelector", &[
        (1, "matchLabels", "map[string]string"),
        (2, "matchExpressions", "[]LabelSelectorRequirement"),
    ]),
    ("meta.v1.LabelSelectorRequirement", &[
        (1, "key", "string"),
        (2, "operator", "string"),
        (3, "values", "[]string"),
    ]),
    ("meta.v1.Condition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (3, "observedGeneration", "int64"),
        (4, "lastTransitionTime", "Time"),
        (5, "reason", "string"),
        (6, "message", "string"),
    ]),

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

    // k8s.io/api/core/v1: pods.
    ("core.v1.Pod", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "PodSpec"),
        (3, "status", "PodStatus"),
    ]),
    ("core.v1.PodTemplateSpec", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "PodSpec"),
    ]),
    ("core.v1.PodSpec", &[
        (1, "volumes", "[]Volume"),
        (2, "containers", "[]Container"),
        (3, "restartPolicy", "string"),
        (4, "terminationGracePeriodSeconds", "*int64"),
        (5, "activeDeadlineSeconds", "*int64"),
        (6, "dnsPolicy", "string"),
        (7, "nodeSelector", "map[string]string"),
        (8, "serviceAccountName", "string"),
        (9, "serviceAccount", "string"),
        (10, "nodeName", "string"),
        (11, "hostNetwork", "bool"),
        (12, "hostPID", "bool"),
        (13, "hostIPC", "bool"),
        (14, "securityContext", "*PodSecurityContext"),
        (15, "imagePullSecrets", "[]LocalObjectReference"),
        (16, "hostname", "string"),
        (17, "subdomain", "string"),
        (19, "schedulerName", "string"),
        (20, "initContainers", "[]Container"),
        (21, "automountServiceAccountToken", "*bool"),
        (22, "tolerations", "[]Toleration"),
        (23, "hostAliases", "[]HostAlias"),
        (24, "priorityClassName", "string"),
        (25, "priority", "*int32"),
        (27, "shareProcessNamespace", "*bool"),
        (29, "runtimeClassName", "*string"),
        (30, "enableServiceLinks", "*bool"),
        (31, "preemptionPolicy", "*string"),
        (32, "overhead", "map[string]resource.Quantity"),
        (35, "setHostnameAsFQDN", "*bool"),
        (36, "os", "*PodOS"),
        (37, "hostUsers", "*bool"),
        (38, "schedulingGates", "[]PodSchedulingGate"),
        (40, "resources", "*ResourceRequirements"),
        (41, "hostnameOverride", "*string"),
    ]),
    ("core.v1.PodStatus", &[
        (1, "phase", "string"),
        (2, "conditions", "[]PodCondition"),
        (3, "message", "string"),
        (4, "reason", "string"),
        (5, "hostIP", "string"),
        (6, "podIP", "string"),
        (7, "startTime", "*meta.v1.Time"),
        (9, "qosClass", "string"),
        (11, "nominatedNodeName", "string"),
        (12, "podIPs", "[]PodIP"),
        (14, "resize", "string"),
        (16, "hostIPs", "[]HostIP"),
        (17, "observedGeneration", "int64"),
    ]),
    ("core.v1.PodCondition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (3, "lastProbeTime", "meta.v1.Time"),
        (4, "lastTransitionTime", "meta.v1.Time"),
        (5, "reason", "string"),
        (6, "message", "string"),
        (7, "observedGeneration", "int64"),
    ]),
    ("core.v1.PodIP", &[
        (1, "ip", "string"),
    ]),
    ("core.v1.HostIP", &[
        (1, "ip", "string"),
    ]),
    ("core.v1.PodSecurityContext", &[
        (1, "seLinuxOptions", "*SELinuxOptions"),
        (2, "runAsUser", "*int64"),
        (3, "runAsNonRoot", "*bool"),
        (4, "supplementalGroups", "[]int64"),
        (5, "fsGroup", "*int64"),
        (6, "runAsGroup", "*int64"),
        (7, "sysctls", "[]Sysctl"),
        (9, "fsGroupChangePolicy", "*string"),
        (10, "seccompProfile", "*SeccompProfile"),
        (11, "appArmorProfile", "*AppArmorProfile"),
        (12, "supplementalGroupsPolicy", "*string"),
        (13, "seLinuxChangePolicy", "*string"),
    ]),
    ("core.v1.SecurityContext", &[
        (1, "capabilities", "*Capabilities"),
        (2, "privileged", "*bool"),
        (3, "seLinuxOptions", "*SELinuxOptions"),
        (4, "runAsUser", "*int64"),
        (5, "runAsNonRoot", "*bool"),
        (6, "readOnlyRootFilesystem", "*bool"),
        (7, "allowPrivilegeEscalation", "*bool"),
        (8, "runAsGroup", "*int64"),
        (9, "procMount", "*string"),
        (11, "seccompProfile", "*SeccompProfile"),
        (12, "appArmorProfile", "*AppArmorProfile"),
    ]),
    ("core.v1.Capabilities", &[
        (1, "add", "[]string"),
        (2, "drop", "[]string"),
    ]),
    ("core.v1.SELinuxOptions", &[
        (1, "user", "string"),
        (2, "role", "string"),
        (3, "type", "string"),
        (4, "level", "string"),
    ]),
    ("core.v1.SeccompProfile", &[
        (1, "type", "string"),
        (2, "localhostProfile", "*string"),
    ]),
    ("core.v1.AppArmorProfile", &[
        (1, "type", "string"),
        (2, "localhostProfile", "*string"),
    ]),
    ("core.v1.Sysctl", &[
        (1, "name", "string"),
        (2, "value", "string"),
    ]),
    ("core.v1.Toleration", &[
        (1, "key", "string"),
        (2, "operator", "string"),
        (3, "value", "string"),
        (4, "effect", "string"),
        (5, "tolerationSeconds", "*int64"),
    ]),
    ("core.v1.HostAlias", &[
        (1, "ip", "string"),
        (2, "hostnames", "[]string"),
    ]),
    ("core.v1.PodOS", &[
        (1, "name", "string"),
    ]),
    ("core.v1.PodSchedulingGate", &[
        (1, "name", "string"),
    ]),

    // k8s.io/api/core/v1: containers.
    ("core.v1.Container", &[
        (1, "name", "string"),
        (2, "image", "string"),
        (3, "command", "[]string"),
        (4, "args", "[]string"),
        (5, "workingDir", "string"),
        (6, "ports", "[]ContainerPort"),
        (7, "env", "[]EnvVar"),
        (8, "resources", "ResourceRequirements"),
        (9, "volumeMounts", "[]VolumeMount"),
        (10, "livenessProbe", "*Probe"),
        (11, "readinessProbe", "*Probe"),
        (12, "lifecycle", "*Lifecycle"),
        (13, "terminationMessagePath", "string"),
        (14, "imagePullPolicy", "string"),
        (15, "securityContext", "*SecurityContext"),
        (16, "stdin", "bool"),
        (17, "stdinOnce", "bool"),
        (18, "tty", "bool"),
        (19, "envFrom", "[]EnvFromSource"),
        (20, "terminationMessagePolicy", "string"),
        (22, "startupProbe", "*Probe"),
        (23, "resizePolicy", "[]ContainerResizePolicy"),
        (24, "restartPolicy", "*string"),
    ]),
    ("core.v1.ContainerPort", &[
        (1, "name", "string"),
        (2, "hostPort", "int32"),
        (3, "containerPort", "int32"),
        (4, "protocol", "string"),
        (5, "hostIP", "string"),
    ]),
    ("core.v1.EnvVar", &[
        (1, "name", "string"),
        (2, "value", "string"),
        (3, "valueFrom", "*EnvVarSource"),
    ]),
    ("core.v1.EnvVarSource", &[
        (1, "fieldRef", "*ObjectFieldSelector"),
        (2, "resourceFieldRef", "*ResourceFieldSelector"),
        (3, "configMapKeyRef", "*ConfigMapKeySelector"),
        (4, "secretKeyRef", "*SecretKeySelector"),
    ]),
    ("core.v1.ObjectFieldSelector", &[
        (1, "apiVersion", "string"),
        (2, "fieldPath", "string"),
    ]),
    ("core.v1.ResourceFieldSelector", &[
        (1, "containerName", "string"),
        (2, "resource", "string"),
        (3, "divisor", "resource.Quantity"),
    ]),
    ("core.v1.ConfigMapKeySelector", &[
        (1, "", "LocalObjectReference"),
        (2, "key", "string"),
        (3, "optional", "*bool"),
    ]),
    ("core.v1.SecretKeySelector", &[
        (1, "", "LocalObjectReference"),
        (2, "key", "string"),
        (3, "optional", "*bool"),
    ]),
    ("core.v1.EnvFromSource", &[
        (1, "prefix", "string"),
        (2, "configMapRef", "*ConfigMapEnvSource"),
        (3, "secretRef", "*SecretEnvSource"),
    ]),
    ("core.v1.ConfigMapEnvSource", &[
        (1, "", "LocalObjectReference"),
        (2, "optional", "*bool"),
    ]),
    ("core.v1.SecretEnvSource", &[
        (1, "", "LocalObjectReference"),
        (2, "optional", "*bool"),
    ]),
    ("core.v1.ResourceRequirements", &[
        (1, "limits", "map[string]resource.Quantity"),
        (2, "requests", "map[string]resource.Quantity"),
        (3, "claims", "[]ResourceClaim"),
    ]),
    ("core.v1.ResourceClaim", &[
        (1, "name", "string"),
        (2, "request", "string"),
    ]),
    ("core.v1.ContainerResizePolicy", &[
        (1, "resourceName", "string"),
        (2, "restartPolicy", "string"),
    ]),
    ("core.v1.VolumeMount", &[
        (1, "name", "string"),
        (2, "readOnly", "bool"),
        (3, "mountPath", "string"),
        (4, "subPath", "string"),
        (5, "mountPropagation", "*string"),
        (6, "subPathExpr", "string"),
        (7, "recursiveReadOnly", "*string"),
    ]),
    ("core.v1.Probe", &[
        (1, "", "ProbeHandler"),
        (2, "initialDelaySeconds", "int32"),
        (3, "timeoutSeconds", "int32"),
        (4, "periodSeconds", "int32"),
        (5, "successThreshold", "int32"),
        (6, "failureThreshold", "int32"),
        (7, "terminationGracePeriodSeconds", "*int64"),
    ]),
    ("core.v1.ProbeHandler", &[
        (1, "exec", "*ExecAction"),
        (2, "httpGet", "*HTTPGetAction"),
        (3, "tcpSocket", "*TCPSocketAction"),
        (4, "grpc", "*GRPCAction"),
    ]),
    ("core.v1.Lifecycle", &[
        (1, "postStart", "*LifecycleHandler"),
        (2, "preStop", "*LifecycleHandler"),
        (3, "stopSignal", "*string"),
    ]),
    ("core.v1.LifecycleHandler", &[
        (1, "exec", "*ExecAction"),
        (2, "httpGet", "*HTTPGetAction"),
        (3, "tcpSocket", "*TCPSocketAction"),
        (4, "sleep", "*SleepAction"),
    ]),
    ("core.v1.ExecAction", &[
        (1, "command", "[]string"),
    ]),
    ("core.v1.HTTPGetAction", &[
        (1, "path", "string"),
        (2, "port", "intstr.IntOrString"),
        (3, "host", "string"),
        (4, "scheme", "string"),
        (5, "httpHeaders", "[]HTTPHeader"),
    ]),
    ("core.v1.HTTPHeader", &[
        (1, "name", "string"),
        (2, "value", "string"),
    ]),
    ("core.v1.TCPSocketAction", &[
        (1, "port", "intstr.IntOrString"),
        (2, "host", "string"),
    ]),
    ("core.v1.GRPCAction", &[
        (1, "port", "int32"),
        (2, "service", "*string"),
    ]),
    ("core.v1.SleepAction", &[
        (1, "seconds", "int64"),
    ]),

    // k8s.io/api/core/v1: volumes.
    ("core.v1.Volume", &[
        (1, "name", "string"),
        (2, "", "VolumeSource"),
    ]),
    ("core.v1.VolumeSource", &[
        (1, "hostPath", "*HostPathVolumeSource"),
        (2, "emptyDir", "*EmptyDirVolumeSource"),
        (6, "secret", "*SecretVolumeSource"),
        (10, "persistentVolumeClaim", "*PersistentVolumeClaimVolumeSource"),
        (16, "downwardAPI", "*DownwardAPIVolumeSource"),
        (19, "configMap", "*ConfigMapVolumeSource"),
    ]),
    ("core.v1.HostPathVolumeSource", &[
        (1, "path", "string"),
        (2, "type", "*string"),
    ]),
    ("core.v1.EmptyDirVolumeSource", &[
        (1, "medium", "string"),
        (2, "sizeLimit", "*resource.Quantity"),
    ]),
    ("core.v1.SecretVolumeSource", &[
        (1, "secretName", "string"),
        (2, "items", "[]KeyToPath"),
        (3, "defaultMode", "*int32"),
        (4, "optional", "*bool"),
    ]),
    ("core.v1.ConfigMapVolumeSource", &[
        (1, "", "LocalObjectReference"),
        (2, "items", "[]KeyToPath"),
        (3, "defaultMode", "*int32"),
        (4, "optional", "*bool"),
    ]),
    ("core.v1.KeyToPath", &[
        (1, "key", "string"),
        (2, "path", "string"),
        (3, "mode", "*int32"),
    ]),
    ("core.v1.PersistentVolumeClaimVolumeSource", &[
        (1, "claimName", "string"),
        (2, "readOnly", "bool"),
    ]),
    ("core.v1.DownwardAPIVolumeSource", &[
        (1, "items", "[]DownwardAPIVolumeFile"),
        (2, "defaultMode", "*int32"),
    ]),
    ("core.v1.DownwardAPIVolumeFile", &[
        (1, "path", "string"),
        (2, "fieldRef", "*ObjectFieldSelector"),
        (3, "resourceFieldRef", "*ResourceFieldSelector"),
        (4, "mode", "*int32"),
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

    // k8s.io/api/apps/v1.
    ("apps.v1.Deployment", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "DeploymentSpec"),
        (3, "status", "DeploymentStatus"),
    ]),
    ("apps.v1.DeploymentSpec", &[
        (1, "replicas", "*int32"),
        (2, "selector", "*meta.v1.LabelSelector"),
        (3, "template", "core.v1.PodTemplateSpec"),
        (4, "strategy", "DeploymentStrategy"),
        (5, "minReadySeconds", "int32"),
        (6, "revisionHistoryLimit", "*int32"),
        (7, "paused", "bool"),
        (9, "progressDeadlineSeconds", "*int32"),
    ]),
    ("apps.v1.DeploymentStrategy", &[
        (1, "type", "string"),
        (2, "rollingUpdate", "*RollingUpdateDeployment"),
    ]),
    ("apps.v1.RollingUpdateDeployment", &[
        (1, "maxUnavailable", "*intstr.IntOrString"),
        (2, "maxSurge", "*intstr.IntOrString"),
    ]),
    ("apps.v1.DeploymentStatus", &[
        (1, "observedGeneration", "int64"),
        (2, "replicas", "int32"),
        (3, "updatedReplicas", "int32"),
        (4, "availableReplicas", "int32"),
        (5, "unavailableReplicas", "int32"),
        (6, "conditions", "[]DeploymentCondition"),
        (7, "readyReplicas", "int32"),
        (8, "collisionCount", "*int32"),
        (9, "terminatingReplicas", "*int32"),
    ]),
    ("apps.v1.DeploymentCondition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (4, "reason", "string"),
        (5, "message", "string"),
        (6, "lastUpdateTime", "meta.v1.Time"),
        (7, "lastTransitionTime", "meta.v1.Time"),
    ]),

    // k8s.io/api/batch/v1.
    ("batch.v1.Job", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "JobSpec"),
        (3, "status", "JobStatus"),
    ]),
    ("batch.v1.JobSpec", &[
        (1, "parallelism", "*int32"),
        (2, "completions", "*int32"),
        (3, "activeDeadlineSeconds", "*int64"),
        (4, "selector", "*meta.v1.LabelSelector"),
        (5, "manualSelector", "*bool"),
        (6, "template", "core.v1.PodTemplateSpec"),
        (7, "backoffLimit", "*int32"),
        (8, "ttlSecondsAfterFinished", "*int32"),
        (9, "completionMode", "*string"),
        (10, "suspend", "*bool"),
        (12, "backoffLimitPerIndex", "*int32"),
        (13, "maxFailedIndexes", "*int32"),
        (14, "podReplacementPolicy", "*string"),
        (15, "managedBy", "*string"),
    ]),
    ("batch.v1.JobStatus", &[
        (1, "conditions", "[]JobCondition"),
        (2, "startTime", "*meta.v1.Time"),
        (3, "completionTime", "*meta.v1.Time"),
        (4, "active", "int32"),
        (5, "succeeded", "int32"),
        (6, "failed", "int32"),
        (7, "completedIndexes", "string"),
        (8, "uncountedTerminatedPods", "*UncountedTerminatedPods"),
        (9, "ready", "*int32"),
        (10, "failedIndexes", "*string"),
        (11, "terminating", "*int32"),
    ]),
    ("batch.v1.JobCondition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (3, "lastProbeTime", "meta.v1.Time"),
        (4, "lastTransitionTime", "meta.v1.Time"),
        (5, "reason", "string"),
        (6, "message", "string"),
    ]),
    ("batch.v1.UncountedTerminatedPods", &[
        (1, "succeeded", "[]string"),
        (2, "failed", "[]string"),
    ]),
    ("batch.v1.CronJob", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "CronJobSpec"),
        (3, "status", "CronJobStatus"),
    ]),
    ("batch.v1.CronJobSpec", &[
        (1, "schedule", "string"),
        (2, "startingDeadlineSeconds", "*int64"),
        (3, "concurrencyPolicy", "string"),
        (4, "suspend", "*bool"),
        (5, "jobTemplate", "JobTemplateSpec"),
        (6, "successfulJobsHistoryLimit", "*int32"),
        (7, "failedJobsHistoryLimit", "*int32"),
        (8, "timeZone", "*string"),
    ]),
    ("batch.v1.JobTemplateSpec", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "JobSpec"),
    ]),
    ("batch.v1.CronJobStatus", &[
        (1, "active", "[]core.v1.ObjectReference"),
        (4, "lastScheduleTime", "*meta.v1.Time"),
        (5, "lastSuccessfulTime", "*meta.v1.Time"),
    ]),
];
