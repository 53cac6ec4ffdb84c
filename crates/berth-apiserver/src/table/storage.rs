//! Rows of the storage kinds: PersistentVolumes, PersistentVolumeClaims and StorageClasses.

use serde_json::Value;

use super::{AGE, NAME, Printer, age, list_of, name, str_of, text, wide};

pub(super) static PERSISTENT_VOLUME: Printer = Printer {
    columns: &[
        NAME,
        text("Capacity", "Size of the volume."),
        text("Access Modes", "How the volume can be mounted (RWO, ROX, RWX, RWOP)."),
        text("Reclaim Policy", "What happens to the volume when its claim goes away."),
        text("Status", "Phase of the volume."),
        text("Claim", "Claim the volume is bound to."),
        text("StorageClass", "Storage class of the volume."),
        text("VolumeAttributesClass", "Volume attributes class of the volume."),
        text("Reason", "Why the volume is in its phase."),
        AGE,
        wide("VolumeMode", "Whether the volume is a filesystem or a block device."),
    ],
    row: persistent_volume,
};

pub(super) static PERSISTENT_VOLUME_CLAIM: Printer = Printer {
    columns: &[
        NAME,
        text("Status", "Phase of the claim."),
        text("Volume", "Volume bound to the claim."),
        text("Capacity", "Size of the bound volume."),
        text("Access Modes", "How the bound volume can be mounted."),
        text("StorageClass", "Storage class the claim asks for."),
        text("VolumeAttributesClass", "Volume attributes class the claim asks for."),
        AGE,
        wide("VolumeMode", "Whether the claim wants a filesystem or a block device."),
    ],
    row: persistent_volume_claim,
};

pub(super) static STORAGE_CLASS: Printer = Printer {
    columns: &[
        NAME,
        text("Provisioner", "Driver that provisions volumes of this class."),
        text("ReclaimPolicy", "Reclaim policy of the volumes it provisions."),
        text("VolumeBindingMode", "When volumes are bound and provisioned."),
        text("AllowVolumeExpansion", "Whether claims of this class can grow."),
        AGE,
    ],
    row: storage_class,
};

/// The annotation that once named the storage class, still read before the field.
const BETA_CLASS: &str = "volume.beta.kubernetes.io/storage-class";

/// The older spelling of the annotation that marks the default storage class.
const DEFAULT_BETA: &str = "storageclass.beta.kubernetes.io/is-default-class";

fn persistent_volume(pv: &Value, now: i64) -> Vec<Value> {
    let spec = &pv["spec"];
    let claim = &spec["claimRef"];
    let claim = if claim.is_object() {
        format!("{}/{}", str_of(&claim["namespace"]), str_of(&claim["name"]))
    } else {
        String::new()
    };
    let class = match pv["metadata"]["annotations"][BETA_CLASS].as_str() {
        Some(class) => class,
        None => str_of(&spec["storageClassName"]),
    };
    vec![
        name(pv),
        str_of(&spec["capacity"]["storage"]).into(),
        access_modes(&spec["accessModes"]).into(),
        str_of(&spec["persistentVolumeReclaimPolicy"]).into(),
        phase(pv).into(),
        claim.into(),
        class.into(),
        unset(&spec["volumeAttributesClassName"]).into(),
        str_of(&pv["status"]["reason"]).into(),
        age(pv, now),
        unset(&spec["volumeMode"]).into(),
    ]
}

fn persistent_volume_claim(pvc: &Value, now: i64) -> Vec<Value> {
    let (spec, status) = (&pvc["spec"], &pvc["status"]);
    let volume = str_of(&spec["volumeName"]);
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (str_of(&status["capacity"]["storage"]).to_owned(), access_modes(&status["accessModes"]))
    };
    let class = match pvc["metadata"]["annotations"][BETA_CLASS].as_str() {
        Some(class) => class,
        None => str_of(&spec["storageClassName"]),
    };
    vec![
        name(pvc),
        phase(pvc).into(),
        volume.into(),
        capacity.into(),
        modes.into(),
        class.into(),
        unset(&spec["volumeAttributesClassName"]).into(),
        age(pvc, now),
        unset(&spec["volumeMode"]).into(),
    ]
}

fn storage_class(class: &Value, now: i64) -> Vec<Value> {
    let annotations = &class["metadata"]["annotations"];
    let default = ["storageclass.kubernetes.io/is-default-class", DEFAULT_BETA]
        .iter()
        .any(|key| annotations[*key] == "true");
    let mut shown = str_of(&class["metadata"]["name"]).to_owned();
    if default {
        shown.push_str(" (default)");
    }
    vec![
        shown.into(),
        str_of(&class["provisioner"]).into(),
        class["reclaimPolicy"].as_str().unwrap_or("Delete").into(),
        class["volumeBindingMode"].as_str().unwrap_or("Immediate").into(),
        class["allowVolumeExpansion"].as_bool().unwrap_or(false).into(),
        age(class, now),
    ]
}

/// The phase, or `Terminating` once deletion has begun.
fn phase(object: &Value) -> &str {
    if object["metadata"]["deletionTimestamp"].is_null() {
        str_of(&object["status"]["phase"])
    } else {
        "Terminating"
    }
}

fn unset(v: &Value) -> &str {
    v.as_str().unwrap_or("<unset>")
}

/// Access modes abbreviated, without repeats, always in the order RWO, ROX, RWX, RWOP.
fn access_modes(modes: &Value) -> String {
    let modes = list_of(modes);
    let order = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ];
    let present = order.iter().filter(|(mode, _)| modes.iter().any(|m| m == *mode));
    present.map(|(_, short)| *short).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn claim_shows_volume_details_once_bound() {
        let pending = json!({"metadata": {"name": "data"},
                             "spec": {"storageClassName": "standard",
                                      "resources": {"requests": {"storage": "1Gi"}}},
                             "status": {"phase": "Pending"}});
        let row = persistent_volume_claim(&pending, NOW);
        assert_eq!(row[1..7], ["Pending", "", "", "", "standard", "<unset>"].map(Value::from));
        let bound = json!({"metadata": {"name": "data"},
                           "spec": {"volumeName": "pv-1", "volumeMode": "Filesystem"},
                           "status": {"phase": "Bound", "capacity": {"storage": "2Gi"},
                                      "accessModes": ["ReadWriteMany", "ReadWriteOnce",
                                                      "ReadWriteOnce"]}});
        let row = persistent_volume_claim(&bound, NOW);
        assert_eq!(row[1..5], ["Bound", "pv-1", "2Gi", "RWO,RWX"].map(Value::from));
        assert_eq!(row[8], "Filesystem");
    }

    #[test]
    fn volume_and_default_class() {
        let pv = json!({"metadata": {"name": "pv-1", "deletionTimestamp": "2026-01-01T00:00:00Z"},
                        "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOncePod"],
                                 "persistentVolumeReclaimPolicy": "Retain",
                                 "claimRef": {"namespace": "default", "name": "data"}},
                        "status": {"phase": "Bound"}});
        let row = persistent_volume(&pv, NOW);
        assert_eq!(
            row[1..6],
            ["5Gi", "RWOP", "Retain", "Terminating", "default/data"].map(Value::from)
        );
        let sc = json!({"metadata": {"name": "local",
                                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                        "provisioner": "rancher.io/local-path"});
        let row = storage_class(&sc, NOW);
        assert_eq!(
            row[..5],
            [
                json!("local (default)"),
                json!("rancher.io/local-path"),
                json!("Delete"),
                json!("Immediate"),
                json!(false)
            ]
        );
    }
}
