//! Defaulting and validation of built-in kinds, as kube-apiserver does them, on JSON objects.
//!
//! [`apply`] fills the defaults a client would see after a create (pod restart policy, DNS
//! policy, image pull policy from the tag, deployment strategy, …); [`validate`] returns the
//! 422 causes for an object (and, on update, what may not change).

use serde_json::{Map, Value, json};

use crate::meta::child;
use crate::resources::ResourceDef;
use crate::status::Cause;

/// Fills defaults in place.
pub fn apply(def: &ResourceDef, object: &mut Value) {
    let name = crate::meta::meta_str(object, "name").unwrap_or_default().to_owned();
    let uid = crate::meta::meta_str(object, "uid").unwrap_or_default().to_owned();
    let Some(map) = object.as_object_mut() else { return };
    match (def.group, def.kind) {
        ("", "Namespace") => {
            let spec = child(map, "spec");
            spec.entry("finalizers").or_insert_with(|| json!(["kubernetes"]));
            child(map, "status").entry("phase").or_insert_with(|| json!("Active"));
            if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
                let labels = meta.entry("labels").or_insert_with(|| json!({}));
                if let Some(labels) = labels.as_object_mut() {
                    labels.insert("kubernetes.io/metadata.name".into(), json!(name));
                }
            }
        }
        ("", "Pod") => {
            pod_spec(child(map, "spec"));
            child(map, "status").entry("phase").or_insert_with(|| json!("Pending"));
        }
        ("", "Secret") => {
            map.entry("type").or_insert_with(|| json!("Opaque"));
            // `stringData` is a write-only convenience: it lands in `data`, base64-encoded.
            if let Some(Value::Object(strings)) = map.remove("stringData") {
                use base64::Engine;
                let data = child(map, "data");
                for (key, value) in strings {
                    let text = value.as_str().unwrap_or_default();
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                    data.insert(key, json!(encoded));
                }
            }
        }
        ("", "Service") => service_spec(child(map, "spec")),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            crate::conversion::hpa::set_defaults(def.version, map);
        }
        ("scheduling.k8s.io", "PriorityClass") => {
            map.entry("preemptionPolicy").or_insert_with(|| json!("PreemptLowerPriority"));
        }
        ("", "ReplicationController") | ("apps", "ReplicaSet") => {
            let spec = child(map, "spec");
            spec.entry("replicas").or_insert_with(|| json!(1));
            template(spec);
        }
        ("apps", "Deployment") => {
            let spec = child(map, "spec");
            spec.entry("replicas").or_insert_with(|| json!(1));
            spec.entry("revisionHistoryLimit").or_insert_with(|| json!(10));
            spec.entry("progressDeadlineSeconds").or_insert_with(|| json!(600));
            let strategy = child(spec, "strategy");
            strategy.entry("type").or_insert_with(|| json!("RollingUpdate"));
            if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                let rolling = child(strategy, "rollingUpdate");
                rolling.entry("maxSurge").or_insert_with(|| json!("25%"));
                rolling.entry("maxUnavailable").or_insert_with(|| json!("25%"));
            }
            template(spec);
        }
        ("apps", "StatefulSet") => {
            let spec = child(map, "spec");
            spec.entry("replicas").or_insert_with(|| json!(1));
            spec.entry("podManagementPolicy").or_insert_with(|| json!("OrderedReady"));
            spec.entry("revisionHistoryLimit").or_insert_with(|| json!(10));
            let strategy = child(spec, "updateStrategy");
            strategy.entry("type").or_insert_with(|| json!("RollingUpdate"));
            if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                child(strategy, "rollingUpdate").entry("partition").or_insert_with(|| json!(0));
            }
            let retention = child(spec, "persistentVolumeClaimRetentionPolicy");
            retention.entry("whenDeleted").or_insert_with(|| json!("Retain"));
            retention.entry("whenScaled").or_insert_with(|| json!("Retain"));
            template(spec);
        }
        ("apps", "DaemonSet") => {
            let spec = child(map, "spec");
            spec.entry("revisionHistoryLimit").or_insert_with(|| json!(10));
            let strategy = child(spec, "updateStrategy");
            strategy.entry("type").or_insert_with(|| json!("RollingUpdate"));
            if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                let rolling = child(strategy, "rollingUpdate");
                rolling.entry("maxUnavailable").or_insert_with(|| json!(1));
                rolling.entry("maxSurge").or_insert_with(|| json!(0));
            }
            template(spec);
        }
        ("batch", "Job") => {
            let spec = child(map, "spec");
            job_spec(spec);
            job_selector(spec, &name, &uid);
        }
        ("batch", "CronJob") => {
            let spec = child(map, "spec");
            spec.entry("concurrencyPolicy").or_insert_with(|| json!("Allow"));
            spec.entry("suspend").or_insert_with(|| json!(false));
            spec.entry("successfulJobsHistoryLimit").or_insert_with(|| json!(3));
            spec.entry("failedJobsHistoryLimit").or_insert_with(|| json!(1));
            let job_template = child(spec, "jobTemplate");
            job_spec(child(job_template, "spec"));
        }
        _ => {}
    }
}

/// A job without a manual selector selects its own pods by its uid (kube-apiserver's
/// `generateSelector`): the selector and the template labels are set on create.
fn job_selector(spec: &mut Map<String, Value>, name: &str, uid: &str) {
    if spec.get("manualSelector").and_then(Value::as_bool) == Some(true) || uid.is_empty() {
        return;
    }
    spec.entry("manualSelector").or_insert_with(|| json!(false));
    if spec.get("selector").is_some_and(|s| !s.is_null()) {
        return;
    }
    spec.insert(
        "selector".into(),
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
    );
    let meta = child(child(spec, "template"), "metadata");
    let labels = child(meta, "labels");
    for (key, value) in [
        ("batch.kubernetes.io/controller-uid", uid),
        ("controller-uid", uid),
        ("batch.kubernetes.io/job-name", name),
        ("job-name", name),
    ] {
        labels.entry(key).or_insert_with(|| json!(value));
    }
}

/// The DefaultTolerationSeconds admission plugin (on create): every pod tolerates the not-ready
/// and unreachable NoExecute taints for `seconds` unless it says otherwise.
pub fn default_tolerations(pod: &mut Value, seconds: i64) {
    let Some(map) = pod.as_object_mut() else { return };
    let spec = child(map, "spec");
    let entry = spec.entry("tolerations").or_insert_with(|| json!([]));
    let Some(tolerations) = entry.as_array_mut() else { return };
    for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
        let covered = tolerations.iter().any(|t| {
            let t_key = t.get("key").and_then(Value::as_str);
            let effect = t.get("effect").and_then(Value::as_str).unwrap_or_default();
            let exists = t.get("operator").and_then(Value::as_str) == Some("Exists");
            (t_key == Some(key) || (t_key.is_none() && exists))
                && (effect.is_empty() || effect == "NoExecute")
        });
        if !covered {
            tolerations.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": seconds}));
        }
    }
}

/// tolerationSeconds of the default not-ready/unreachable tolerations (kube-apiserver's
/// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`).
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

fn template(spec: &mut Map<String, Value>) {
    let template = child(spec, "template");
    pod_spec(child(template, "spec"));
}

fn job_spec(spec: &mut Map<String, Value>) {
    if spec.get("completions").is_none() && spec.get("parallelism").is_none() {
        spec.insert("completions".into(), json!(1));
    }
    spec.entry("parallelism").or_insert_with(|| json!(1));
    spec.entry("backoffLimit").or_insert_with(|| json!(6));
    spec.entry("completionMode").or_insert_with(|| json!("NonIndexed"));
    spec.entry("suspend").or_insert_with(|| json!(false));
    let template = child(spec, "template");
    pod_spec(child(template, "spec"));
}

fn pod_spec(spec: &mut Map<String, Value>) {
    spec.entry("restartPolicy").or_insert_with(|| json!("Always"));
    spec.entry("dnsPolicy").or_insert_with(|| json!("ClusterFirst"));
    spec.entry("terminationGracePeriodSeconds").or_insert_with(|| json!(30));
    spec.entry("schedulerName").or_insert_with(|| json!("default-scheduler"));
    spec.entry("securityContext").or_insert_with(|| json!({}));
    spec.entry("enableServiceLinks").or_insert_with(|| json!(true));
    for list in ["containers", "initContainers"] {
        if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
            containers.iter_mut().filter_map(Value::as_object_mut).for_each(container);
        }
    }
}

fn container(c: &mut Map<String, Value>) {
    let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
    let policy =
        if image_tag(image).is_none_or(|t| t == "latest") { "Always" } else { "IfNotPresent" };
    c.entry("imagePullPolicy").or_insert_with(|| json!(policy));
    c.entry("terminationMessagePath").or_insert_with(|| json!("/dev/termination-log"));
    c.entry("terminationMessagePolicy").or_insert_with(|| json!("File"));
    c.entry("resources").or_insert_with(|| json!({}));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            port.entry("protocol").or_insert_with(|| json!("TCP"));
        }
    }
}

/// The tag of an image reference (`nginx:1.27` → `1.27`); a digest counts as a tag.
fn image_tag(image: &str) -> Option<&str> {
    if let Some((_, digest)) = image.split_once('@') {
        return Some(digest);
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, tag)| tag)
}

fn service_spec(spec: &mut Map<String, Value>) {
    spec.entry("type").or_insert_with(|| json!("ClusterIP"));
    spec.entry("sessionAffinity").or_insert_with(|| json!("None"));
    spec.entry("internalTrafficPolicy").or_insert_with(|| json!("Cluster"));
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            port.entry("protocol").or_insert_with(|| json!("TCP"));
            if let Some(number) = port.get("port").cloned() {
                port.entry("targetPort").or_insert(number);
            }
        }
    }
}

/// The 422 causes for `object` (an update when `old` is given); empty when it is valid.
pub fn validate(def: &ResourceDef, object: &Value, old: Option<&Value>) -> Result<(), Vec<Cause>> {
    let mut causes = Vec::new();
    match (def.group, def.kind) {
        ("", "Pod") => pod(object.get("spec"), "spec", &mut causes),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("", "ReplicationController") => workload(def, object, &mut causes),
        ("batch", "Job") => {
            pod(object.pointer("/spec/template/spec"), "spec.template.spec", &mut causes)
        }
        ("batch", "CronJob") => cron_job(object, &mut causes),
        ("", "ConfigMap" | "Secret") => immutable_data(object, old, &mut causes),
        ("scheduling.k8s.io", "PriorityClass") => {
            crate::priority::classes::validate(object, old, &mut causes)
        }
        ("autoscaling", "HorizontalPodAutoscaler") => {
            crate::autoscaling::validate(def.version, object, old, &mut causes)
        }
        _ => {}
    }
    if causes.is_empty() { Ok(()) } else { Err(causes) }
}

fn workload(def: &ResourceDef, object: &Value, causes: &mut Vec<Cause>) {
    if let Some(replicas) = object.pointer("/spec/replicas").and_then(Value::as_i64)
        && replicas < 0
    {
        causes.push(Cause::invalid(
            "spec.replicas",
            format!("Invalid value: {replicas}: must be greater than or equal to 0"),
        ));
    }
    let labels = object.pointer("/spec/template/metadata/labels").and_then(Value::as_object);
    match object.pointer("/spec/selector") {
        None | Some(Value::Null) if def.kind != "ReplicationController" => {
            causes.push(Cause::required("spec.selector"))
        }
        Some(selector) if def.kind != "ReplicationController" => {
            match berth_api::selector::LabelSelector::from_label_selector_json(selector) {
                Err(e) => {
                    causes.push(Cause::invalid("spec.selector", format!("Invalid value: {e}")))
                }
                Ok(s) if s.is_everything() => causes.push(Cause::invalid(
                    "spec.selector",
                    "Invalid value: empty selector is invalid for deployment",
                )),
                Ok(s) => {
                    let empty = Map::new();
                    if !s.matches(labels.unwrap_or(&empty)) {
                        causes.push(Cause::invalid(
                            "spec.template.metadata.labels",
                            format!(
                                "Invalid value: {}: `selector` does not match template `labels`",
                                Value::Object(labels.cloned().unwrap_or_default())
                            ),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    pod(object.pointer("/spec/template/spec"), "spec.template.spec", causes);
}

/// The schedule and time zone must parse (the same parser the cronjob controller uses).
fn cron_job(object: &Value, causes: &mut Vec<Cause>) {
    use berth_api::cron::{Schedule, time_zone};
    match object.pointer("/spec/schedule").and_then(Value::as_str) {
        None | Some("") => causes.push(Cause::required("spec.schedule")),
        Some(schedule) => {
            if let Err(e) = Schedule::parse(schedule) {
                causes.push(Cause::invalid(
                    "spec.schedule",
                    format!("Invalid value: {schedule:?}: {e}"),
                ));
            }
        }
    }
    if let Some(zone) = object.pointer("/spec/timeZone").filter(|z| !z.is_null()) {
        let name = zone.as_str().unwrap_or_default();
        if let Err(e) = time_zone(Some(name)) {
            causes.push(Cause::invalid("spec.timeZone", format!("Invalid value: {name:?}: {e}")));
        }
    }
    pod(
        object.pointer("/spec/jobTemplate/spec/template/spec"),
        "spec.jobTemplate.spec.template.spec",
        causes,
    );
}

fn pod(spec: Option<&Value>, at: &str, causes: &mut Vec<Cause>) {
    let containers = spec.and_then(|s| s.get("containers")).and_then(Value::as_array);
    let Some(containers) = containers.filter(|c| !c.is_empty()) else {
        causes.push(Cause::required(format!("{at}.containers")));
        return;
    };
    let mut names: Vec<&str> = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() {
            causes.push(Cause::required(format!("{at}.containers[{i}].name")));
        } else if !crate::meta::is_dns_label(name) {
            causes.push(Cause::invalid(format!("{at}.containers[{i}].name"), format!("Invalid value: {name:?}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'")));
        } else if names.contains(&name) {
            causes.push(Cause {
                kind: "FieldValueDuplicate",
                field: format!("{at}.containers[{i}].name"),
                message: format!("Duplicate value: {name:?}"),
            });
        }
        names.push(name);
        if c.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
            causes.push(Cause::required(format!("{at}.containers[{i}].image")));
        }
    }
}

fn immutable_data(object: &Value, old: Option<&Value>, causes: &mut Vec<Cause>) {
    let Some(old) = old else { return };
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return;
    }
    for field in ["data", "binaryData", "immutable", "stringData"] {
        if old.get(field) != object.get(field) {
            causes.push(Cause::invalid(
                field,
                "Forbidden: field is immutable when `immutable` is set",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::find;

    #[test]
    fn pods_get_kubernetes_defaults() {
        let def = find("", "v1", "pods").expect("pods");
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "a", "image": "nginx"}, {"name": "b", "image": "nginx:1.27"}, {"name": "c", "image": "reg:5000/x:latest"}]}});
        apply(def, &mut pod);
        assert_eq!(pod["spec"]["restartPolicy"], "Always");
        assert_eq!(pod["spec"]["dnsPolicy"], "ClusterFirst");
        assert_eq!(pod["spec"]["terminationGracePeriodSeconds"], 30);
        let policies: Vec<&Value> =
            (0..3).map(|i| &pod["spec"]["containers"][i]["imagePullPolicy"]).collect();
        assert_eq!(policies, [&json!("Always"), &json!("IfNotPresent"), &json!("Always")]);
    }

    #[test]
    fn cron_jobs_need_a_valid_schedule_and_zone() {
        let def = find("batch", "v1", "cronjobs").expect("cronjobs");
        let pod = json!({"containers": [{"name": "c", "image": "i"}]});
        let cases = [
            (json!("*/5 * * * *"), Value::Null, None),
            (json!("@hourly"), json!("Europe/Berlin"), None),
            (json!("61 * * * *"), Value::Null, Some("spec.schedule")),
            (json!("CRON_TZ=UTC * * * * *"), Value::Null, Some("spec.schedule")),
            (Value::Null, Value::Null, Some("spec.schedule")),
            (json!("* * * * *"), json!("Nowhere/Else"), Some("spec.timeZone")),
            (json!("* * * * *"), json!("Local"), Some("spec.timeZone")),
        ];
        for (schedule, zone, want) in cases {
            let mut c = json!({"spec": {"schedule": schedule, "timeZone": zone,
                "jobTemplate": {"spec": {"template": {"spec": pod}}}}});
            apply(def, &mut c);
            let got = validate(def, &c, None).err().map(|causes| causes[0].field.clone());
            assert_eq!(got.as_deref(), want, "{schedule} {zone}");
        }
    }

    #[test]
    fn jobs_select_their_pods_by_uid_and_pods_tolerate_lost_nodes() {
        let def = find("batch", "v1", "jobs").expect("jobs");
        let mut job = json!({"metadata": {"name": "pi", "uid": "u-1"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        apply(def, &mut job);
        assert_eq!(
            job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u-1"
        );
        assert_eq!(job["spec"]["manualSelector"], false);
        let labels = &job["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels["job-name"], "pi");
        assert_eq!(labels["controller-uid"], "u-1");

        let def = find("", "v1", "pods").expect("pods");
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}],
            "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                "effect": "NoExecute", "tolerationSeconds": 5}]}});
        apply(def, &mut pod);
        default_tolerations(&mut pod, DEFAULT_TOLERATION_SECONDS);
        let tolerations = pod["spec"]["tolerations"].as_array().expect("tolerations");
        assert_eq!(tolerations.len(), 2);
        assert_eq!(tolerations[0]["tolerationSeconds"], 5);
        assert_eq!(tolerations[1]["key"], "node.kubernetes.io/not-ready");
        assert_eq!(tolerations[1]["tolerationSeconds"], 300);
    }

    #[test]
    fn deployments_need_a_selector_that_matches() {
        let def = find("apps", "v1", "deployments").expect("deployments");
        let mut d = json!({"spec": {"selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        apply(def, &mut d);
        assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
        let causes = validate(def, &d, None).expect_err("mismatch");
        assert_eq!(causes[0].field, "spec.template.metadata.labels");
        d["spec"]["template"]["metadata"]["labels"]["app"] = json!("a");
        assert!(validate(def, &d, None).is_ok());
        d["spec"]["replicas"] = json!(-1);
        assert_eq!(validate(def, &d, None).expect_err("negative")[0].field, "spec.replicas");
    }
}
