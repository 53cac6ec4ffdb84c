//! rbac.authorization.k8s.io/v1: what `kubectl create role|clusterrole|rolebinding|
//! clusterrolebinding` sends.

use super::Message;

#[rustfmt::skip]
pub(super) const MESSAGES: &[Message] = &[
    ("rbac.v1.Role", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "rules", "[]PolicyRule"),
    ]),
    ("rbac.v1.ClusterRole", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "rules", "[]PolicyRule"),
        (3, "aggregationRule", "*AggregationRule"),
    ]),
    ("rbac.v1.PolicyRule", &[
        (1, "verbs", "[]string"),
        (2, "apiGroups", "[]string"),
        (3, "resources", "[]string"),
        (4, "resourceNames", "[]string"),
        (5, "nonResourceURLs", "[]string"),
    ]),
    ("rbac.v1.AggregationRule", &[
        (1, "clusterRoleSelectors", "[]meta.v1.LabelSelector"),
    ]),
    ("rbac.v1.RoleBinding", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "subjects", "[]Subject"),
        (3, "roleRef", "RoleRef"),
    ]),
    ("rbac.v1.ClusterRoleBinding", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "subjects", "[]Subject"),
        (3, "roleRef", "RoleRef"),
    ]),
    ("rbac.v1.Subject", &[
        (1, "kind", "string"),
        (2, "apiGroup", "string"),
        (3, "name", "string"),
        (4, "namespace", "string"),
    ]),
    ("rbac.v1.RoleRef", &[
        (1, "apiGroup", "string"),
        (2, "kind", "string"),
        (3, "name", "string"),
    ]),
];
