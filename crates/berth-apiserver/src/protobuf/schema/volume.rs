//! Storage: core/v1 volumes as pods mount them, PersistentVolumes and their claims, and
//! storage.k8s.io/v1 StorageClasses.

use super::Message;

#[rustfmt::skip]
pub(super) const MESSAGES: &[Message] = &[
    // k8s.io/api/core/v1: volumes.
    ("core.v1.Volume", &[
        (1, "name", "string"),
        (2, "", "VolumeSource"),
    ]),
    ("core.v1.VolumeSource", &[
        (1, "hostPath", "*HostPathVolumeSource"),
        (2, "emptyDir", "*EmptyDirVolumeSource"),
        (6, "secret", "*SecretVolumeSource"),
        (7, "nfs", "*NFSVolumeSource"),
        (10, "persistentVolumeClaim", "*PersistentVolumeClaimVolumeSource"),
        (16, "downwardAPI", "*DownwardAPIVolumeSource"),
        (19, "configMap", "*ConfigMapVolumeSource"),
        (26, "projected", "*ProjectedVolumeSource"),
        (28, "csi", "*CSIVolumeSource"),
        (29, "ephemeral", "*EphemeralVolumeSource"),
        (30, "image", "*ImageVolumeSource"),
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
    ("core.v1.NFSVolumeSource", &[
        (1, "server", "string"),
        (2, "path", "string"),
        (3, "readOnly", "bool"),
    ]),
    ("core.v1.ProjectedVolumeSource", &[
        (1, "sources", "[]VolumeProjection"),
        (2, "defaultMode", "*int32"),
    ]),
    ("core.v1.VolumeProjection", &[
        (1, "secret", "*SecretProjection"),
        (2, "downwardAPI", "*DownwardAPIProjection"),
        (3, "configMap", "*ConfigMapProjection"),
        (4, "serviceAccountToken", "*ServiceAccountTokenProjection"),
        (5, "clusterTrustBundle", "*ClusterTrustBundleProjection"),
    ]),
    ("core.v1.SecretProjection", &[
        (1, "", "LocalObjectReference"),
        (2, "items", "[]KeyToPath"),
        (4, "optional", "*bool"),
    ]),
    ("core.v1.ConfigMapProjection", &[
        (1, "", "LocalObjectReference"),
        (2, "items", "[]KeyToPath"),
        (4, "optional", "*bool"),
    ]),
    ("core.v1.DownwardAPIProjection", &[
        (1, "items", "[]DownwardAPIVolumeFile"),
    ]),
    ("core.v1.ServiceAccountTokenProjection", &[
        (1, "audience", "string"),
        (2, "expirationSeconds", "*int64"),
        (3, "path", "string"),
    ]),
    ("core.v1.ClusterTrustBundleProjection", &[
        (1, "name", "*string"),
        (2, "signerName", "*string"),
        (3, "labelSelector", "*meta.v1.LabelSelector"),
        (4, "path", "string"),
        (5, "optional", "*bool"),
    ]),
    ("core.v1.CSIVolumeSource", &[
        (1, "driver", "string"),
        (2, "readOnly", "*bool"),
        (3, "fsType", "*string"),
        (4, "volumeAttributes", "map[string]string"),
        (5, "nodePublishSecretRef", "*LocalObjectReference"),
    ]),
    ("core.v1.EphemeralVolumeSource", &[
        (1, "volumeClaimTemplate", "*PersistentVolumeClaimTemplate"),
    ]),
    ("core.v1.PersistentVolumeClaimTemplate", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "PersistentVolumeClaimSpec"),
    ]),
    ("core.v1.ImageVolumeSource", &[
        (1, "reference", "string"),
        (2, "pullPolicy", "string"),
    ]),

    // k8s.io/api/core/v1: persistent volume claims.
    ("core.v1.PersistentVolumeClaim", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "PersistentVolumeClaimSpec"),
        (3, "status", "PersistentVolumeClaimStatus"),
    ]),
    ("core.v1.PersistentVolumeClaimSpec", &[
        (1, "accessModes", "[]string"),
        (2, "resources", "VolumeResourceRequirements"),
        (3, "volumeName", "string"),
        (4, "selector", "*meta.v1.LabelSelector"),
        (5, "storageClassName", "*string"),
        (6, "volumeMode", "*string"),
        (7, "dataSource", "*TypedLocalObjectReference"),
        (8, "dataSourceRef", "*TypedObjectReference"),
        (9, "volumeAttributesClassName", "*string"),
    ]),
    ("core.v1.VolumeResourceRequirements", &[
        (1, "limits", "map[string]resource.Quantity"),
        (2, "requests", "map[string]resource.Quantity"),
    ]),
    ("core.v1.TypedLocalObjectReference", &[
        (1, "apiGroup", "*string"),
        (2, "kind", "string"),
        (3, "name", "string"),
    ]),
    ("core.v1.TypedObjectReference", &[
        (1, "apiGroup", "*string"),
        (2, "kind", "string"),
        (3, "name", "string"),
        (4, "namespace", "*string"),
    ]),
    ("core.v1.PersistentVolumeClaimStatus", &[
        (1, "phase", "string"),
        (2, "accessModes", "[]string"),
        (3, "capacity", "map[string]resource.Quantity"),
        (4, "conditions", "[]PersistentVolumeClaimCondition"),
        (5, "allocatedResources", "map[string]resource.Quantity"),
        (7, "allocatedResourceStatuses", "map[string]string"),
        (8, "currentVolumeAttributesClassName", "*string"),
        (9, "modifyVolumeStatus", "*ModifyVolumeStatus"),
    ]),
    ("core.v1.PersistentVolumeClaimCondition", &[
        (1, "type", "string"),
        (2, "status", "string"),
        (3, "lastProbeTime", "meta.v1.Time"),
        (4, "lastTransitionTime", "meta.v1.Time"),
        (5, "reason", "string"),
        (6, "message", "string"),
    ]),
    ("core.v1.ModifyVolumeStatus", &[
        (1, "targetVolumeAttributesClassName", "string"),
        (2, "status", "string"),
    ]),

    // k8s.io/api/core/v1: persistent volumes.
    ("core.v1.PersistentVolume", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "spec", "PersistentVolumeSpec"),
        (3, "status", "PersistentVolumeStatus"),
    ]),
    ("core.v1.PersistentVolumeSpec", &[
        (1, "capacity", "map[string]resource.Quantity"),
        (2, "", "PersistentVolumeSource"),
        (3, "accessModes", "[]string"),
        (4, "claimRef", "*ObjectReference"),
        (5, "persistentVolumeReclaimPolicy", "string"),
        (6, "storageClassName", "string"),
        (7, "mountOptions", "[]string"),
        (8, "volumeMode", "*string"),
        (9, "nodeAffinity", "*VolumeNodeAffinity"),
        (10, "volumeAttributesClassName", "*string"),
    ]),
    ("core.v1.PersistentVolumeSource", &[
        (3, "hostPath", "*HostPathVolumeSource"),
        (5, "nfs", "*NFSVolumeSource"),
        (20, "local", "*LocalVolumeSource"),
        (22, "csi", "*CSIPersistentVolumeSource"),
    ]),
    ("core.v1.LocalVolumeSource", &[
        (1, "path", "string"),
        (2, "fsType", "*string"),
    ]),
    ("core.v1.CSIPersistentVolumeSource", &[
        (1, "driver", "string"),
        (2, "volumeHandle", "string"),
        (3, "readOnly", "bool"),
        (4, "fsType", "string"),
        (5, "volumeAttributes", "map[string]string"),
        (6, "controllerPublishSecretRef", "*SecretReference"),
        (7, "nodeStageSecretRef", "*SecretReference"),
        (8, "nodePublishSecretRef", "*SecretReference"),
        (9, "controllerExpandSecretRef", "*SecretReference"),
        (10, "nodeExpandSecretRef", "*SecretReference"),
    ]),
    ("core.v1.SecretReference", &[
        (1, "name", "string"),
        (2, "namespace", "string"),
    ]),
    ("core.v1.VolumeNodeAffinity", &[
        (1, "required", "*NodeSelector"),
    ]),
    ("core.v1.PersistentVolumeStatus", &[
        (1, "phase", "string"),
        (2, "message", "string"),
        (3, "reason", "string"),
        (4, "lastPhaseTransitionTime", "*meta.v1.Time"),
    ]),
    ("core.v1.TopologySelectorTerm", &[
        (1, "matchLabelExpressions", "[]TopologySelectorLabelRequirement"),
    ]),
    ("core.v1.TopologySelectorLabelRequirement", &[
        (1, "key", "string"),
        (2, "values", "[]string"),
    ]),

    // storage.k8s.io/v1.
    ("storage.v1.StorageClass", &[
        (1, "metadata", "meta.v1.ObjectMeta"),
        (2, "provisioner", "string"),
        (3, "parameters", "map[string]string"),
        (4, "reclaimPolicy", "*string"),
        (5, "mountOptions", "[]string"),
        (6, "allowVolumeExpansion", "*bool"),
        (7, "volumeBindingMode", "*string"),
        (8, "allowedTopologies", "[]core.v1.TopologySelectorTerm"),
    ]),
];
