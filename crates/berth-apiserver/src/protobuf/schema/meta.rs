//! The apimachinery messages every object uses: the `runtime.Unknown` envelope, `IntOrString`,
//! `RawExtension`, `Quantity` and `meta.v1` (object metadata, times, label selectors, conditions,
//! delete options).

use super::Message;

#[rustfmt::skip]
pub(super) const MESSAGES: &[Message] = &[
    // k8s.io/apimachinery/pkg/runtime: the envelope.
    ("runtime.TypeMeta", &[
        (1, "apiVersion", "string"),
        (2, "kind", "string"),
    ]),
    ("runtime.RawExtension", &[
        (1, "raw", "bytes"),
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
    ("meta.v1.DeleteOptions", &[
        (1, "gracePeriodSeconds", "*int64"),
        (2, "preconditions", "*Preconditions"),
        (3, "orphanDependents", "*bool"),
        (4, "propagationPolicy", "*string"),
        (5, "dryRun", "[]string"),
        (6, "ignoreStoreReadErrorWithClusterBreakingPotential", "*bool"),
    ]),
    ("meta.v1.Preconditions", &[
        (1, "uid", "*string"),
        (2, "resourceVersion", "*string"),
    ]),
];
