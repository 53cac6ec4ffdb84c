//! Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks for with
//! `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
//!
//! Start at [`table`], which the list, get and watch handlers call once [`wants_table`] says the
//! client wants a Table. [`columns`] and [`cells`] follow kubectl's printers for the built-in
//! kinds column for column, so `kubectl get` and `kubectl get -o wide` look as they do against a
//! real cluster; custom resources print their CRD's printer columns (`custom`), other kinds
//! without a printer `Name` and `Age`. Rows always
//! carry the wide cells, as Kubernetes sends them; kubectl hides the `priority > 0` columns. The
//! kinds live in `pod`, `workloads`, `network`, `storage` and `cluster`; which kind prints how is
//! the one list in `printer`. Everything here is a pure function of the objects and `now`.

use berth_api::selector::LabelSelector;
use serde_json::{Map, Value, json};

use crate::meta::{format_rfc3339, parse_rfc3339};
use crate::resources::ResourceDef;

mod cluster;
mod custom;
mod network;
mod pod;
mod storage;
mod workloads;

/// One column of a Table, as `columnDefinitions[]` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// The OpenAPI type of the cells: `string`, `integer`, `boolean` or `date`.
    pub kind: &'static str,
    /// `name` for the column that holds the object's name, else empty.
    pub format: &'static str,
    pub description: &'static str,
    /// 0 for the default view, 1 for the columns only `-o wide` shows.
    pub priority: i32,
}

impl Column {
    /// The column as a `columnDefinitions[]` entry.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.kind,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

const fn col(name: &'static str, kind: &'static str, priority: i32, text: &'static str) -> Column {
    Column { name, kind, format: "", description: text, priority }
}

/// A string column of the default view.
const fn text(name: &'static str, description: &'static str) -> Column {
    col(name, "string", 0, description)
}

/// An integer column of the default view.
const fn integer(name: &'static str, description: &'static str) -> Column {
    col(name, "integer", 0, description)
}

/// A string column that only `-o wide` shows.
const fn wide(name: &'static str, description: &'static str) -> Column {
    col(name, "string", 1, description)
}

const NAME: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    description: "Name of the object, unique within its namespace and kind.",
    priority: 0,
};
const AGE: Column = text("Age", "Time since the object was created.");
const CONTAINERS: Column = wide("Containers", "Names of the containers in the pod template.");
const IMAGES: Column = wide("Images", "Images of the containers in the pod template.");
const SELECTOR: Column = wide("Selector", "Label selector for the pods this object manages.");

/// How one kind prints: its columns and the function that fills a row, one cell per column.
struct Printer {
    columns: &'static [Column],
    row: fn(&Value, i64) -> Vec<Value>,
}

static DEFAULT: Printer = Printer { columns: &[NAME, AGE], row: default_row };

/// What the API server prints for kinds without a printer of their own.
static CREATED_AT: Printer = Printer {
    columns: &[NAME, col("Created At", "date", 0, "When the object was created (RFC 3339).")],
    row: created_at_row,
};

/// Which printer each kind uses. A kind missing here prints `Name` and `Age`.
fn printer(def: &ResourceDef) -> &'static Printer {
    match (def.group, def.kind) {
        ("", "Pod") => &pod::POD,
        ("", "PodTemplate") => &workloads::POD_TEMPLATE,
        ("", "ReplicationController") => &workloads::REPLICATION_CONTROLLER,
        ("apps", "Deployment") => &workloads::DEPLOYMENT,
        ("apps", "ReplicaSet") => &workloads::REPLICA_SET,
        ("apps", "StatefulSet") => &workloads::STATEFUL_SET,
        ("apps", "DaemonSet") => &workloads::DAEMON_SET,
        ("apps", "ControllerRevision") => &workloads::CONTROLLER_REVISION,
        ("batch", "Job") => &workloads::JOB,
        ("batch", "CronJob") => &workloads::CRON_JOB,
        ("autoscaling", "HorizontalPodAutoscaler") => &workloads::HORIZONTAL_POD_AUTOSCALER,
        ("policy", "PodDisruptionBudget") => &workloads::POD_DISRUPTION_BUDGET,
        ("", "Service") => &network::SERVICE,
        ("", "Endpoints") => &network::ENDPOINTS,
        ("discovery.k8s.io", "EndpointSlice") => &network::ENDPOINT_SLICE,
        ("networking.k8s.io", "Ingress") => &network::INGRESS,
        ("networking.k8s.io", "IngressClass") => &network::INGRESS_CLASS,
        ("networking.k8s.io", "NetworkPolicy") => &network::NETWORK_POLICY,
        ("", "PersistentVolume") => &storage::PERSISTENT_VOLUME,
        ("", "PersistentVolumeClaim") => &storage::PERSISTENT_VOLUME_CLAIM,
        ("storage.k8s.io", "StorageClass") => &storage::STORAGE_CLASS,
        ("", "Namespace") => &cluster::NAMESPACE,
        ("", "Node") => &cluster::NODE,
        ("", "ConfigMap") => &cluster::CONFIG_MAP,
        ("", "Secret") => &cluster::SECRET,
        ("", "ServiceAccount") => &cluster::SERVICE_ACCOUNT,
        ("", "ResourceQuota") => &cluster::RESOURCE_QUOTA,
        ("", "Event") => &cluster::EVENT,
        ("events.k8s.io", "Event") => &cluster::EVENTS_V1_EVENT,
        ("coordination.k8s.io", "Lease") => &cluster::LEASE,
        ("scheduling.k8s.io", "PriorityClass") => &cluster::PRIORITY_CLASS,
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            &cluster::ROLE_BINDING
        }
        ("rbac.authorization.k8s.io", "Role" | "ClusterRole")
        | ("", "LimitRange")
        | ("apiextensions.k8s.io", "CustomResourceDefinition") => &CREATED_AT,
        _ => &DEFAULT,
    }
}

/// The columns of a resource's Table: `Name` first (last, and wide, for events), then the
/// kind's own, with `Age` where kubectl prints it.
pub fn columns(def: &ResourceDef) -> Vec<Column> {
    match def.custom {
        Some(custom) => custom::columns(custom),
        None => printer(def).columns.to_vec(),
    }
}

/// The cells of one object's row, one per column of [`columns`]: strings mostly, integers and
/// booleans where Kubernetes sends them. `now` is seconds since the Unix epoch, for ages.
pub fn cells(def: &ResourceDef, object: &Value, now: i64) -> Vec<Value> {
    match def.custom {
        Some(custom) => custom::cells(custom, object, now),
        None => (printer(def).row)(object, now),
    }
}

/// A whole Table for `objects`. `include_object` is the `includeObject` query parameter:
/// `None` leaves the row's object out, `Object` embeds the full object, anything else (the
/// default, `Metadata`) a `PartialObjectMetadata`. Without `with_columns` (watch events after
/// the first) `columnDefinitions` is `null`.
pub fn table(
    def: &ResourceDef,
    objects: &[Value],
    resource_version: &str,
    continue_token: Option<&str>,
    include_object: &str,
    now: i64,
    with_columns: bool,
) -> Value {
    let mut metadata = Map::new();
    if !resource_version.is_empty() {
        metadata.insert("resourceVersion".to_owned(), resource_version.into());
    }
    if let Some(token) = continue_token.filter(|token| !token.is_empty()) {
        metadata.insert("continue".to_owned(), token.into());
    }
    let column_definitions =
        if with_columns { columns(def).iter().map(Column::to_json).collect() } else { Value::Null };
    let rows: Vec<Value> = objects.iter().map(|o| row(def, o, include_object, now)).collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": column_definitions,
        "rows": rows,
    })
}

fn row(def: &ResourceDef, object: &Value, include_object: &str, now: i64) -> Value {
    let mut row = Map::new();
    row.insert("cells".to_owned(), Value::Array(cells(def, object, now)));
    if def.group.is_empty()
        && def.kind == "Pod"
        && let Some(conditions) = pod::row_conditions(object)
    {
        row.insert("conditions".to_owned(), conditions);
    }
    match include_object {
        "None" => {}
        "Object" => {
            row.insert("object".to_owned(), object.clone());
        }
        _ => {
            row.insert("object".to_owned(), crate::partial::object_of(object));
        }
    }
    Value::Object(row)
}

/// Whether an `Accept` header asks for a Table: one of its comma-separated media types is
/// `application/json` with `as=Table`, `g=meta.k8s.io` and `v=v1` (or `v1beta1`).
pub fn wants_table(accept: &str) -> bool {
    crate::partial::requested(accept, "Table").is_some()
}

/// A duration in seconds as kubectl's AGE column shows it (apimachinery's `HumanDuration`):
/// about two significant figures, `119s`, `2m5s`, `90m`, `3h20m`, `25h`, `2d3h`, `400d`,
/// `2y30d`. Clock skew of a second reads as `0s`; more than that is `<invalid>`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 2 * 60 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return with_rest(minutes, "m", seconds % 60, "s");
    }
    if minutes < 3 * 60 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return with_rest(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return with_rest(days, "d", hours % 24, "h");
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    if hours < 24 * 365 * 8 {
        return with_rest(days / 365, "y", days % 365, "d");
    }
    format!("{}y", days / 365)
}

/// `3h` when `rest` is zero, else `3h20m`.
fn with_rest(big: i64, big_unit: &str, rest: i64, rest_unit: &str) -> String {
    if rest == 0 { format!("{big}{big_unit}") } else { format!("{big}{big_unit}{rest}{rest_unit}") }
}

// Readers shared by the printers. Missing or mistyped fields read as their zero value, the way
// a Go struct would hold them, so no object can make a printer fail.

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn int_of(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn list_of(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// `<none>` for an empty string.
fn or_none(s: &str) -> String {
    if s.is_empty() { "<none>".to_owned() } else { s.to_owned() }
}

fn name(object: &Value) -> Value {
    str_of(&object["metadata"]["name"]).into()
}

fn age(object: &Value, now: i64) -> Value {
    since(&object["metadata"]["creationTimestamp"], now).into()
}

/// The time since a timestamp field, or `<unknown>` when it is unset.
fn since(timestamp: &Value, now: i64) -> String {
    match timestamp.as_str().and_then(parse_rfc3339) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".to_owned(),
    }
}

/// A label map as `k=v,k2=v2` sorted by key, or `<none>`.
fn format_labels(labels: &Value) -> String {
    let Some(labels) = labels.as_object().filter(|m| !m.is_empty()) else {
        return "<none>".to_owned();
    };
    let mut pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={}", str_of(v))).collect();
    pairs.sort();
    pairs.join(",")
}

/// A `metav1.LabelSelector` in its canonical form (`app=web,tier in (a,b)`), empty when it
/// selects everything or nothing; `None` when it is invalid.
fn selector_text(selector: &Value) -> Option<String> {
    LabelSelector::from_label_selector_json(selector).ok().map(|s| s.to_string())
}

/// A label selector as the `Selector` columns show it: `<none>` when empty, `<error>` when
/// invalid.
fn format_selector(selector: &Value) -> String {
    match selector_text(selector) {
        Some(s) if s.is_empty() => "<none>".to_owned(),
        Some(s) => s,
        None => "<error>".to_owned(),
    }
}

/// The `Containers` and `Images` cells of a pod template's spec.
fn containers(pod_spec: &Value) -> [Value; 2] {
    let list = list_of(&pod_spec["containers"]);
    let names: Vec<&str> = list.iter().map(|c| str_of(&c["name"])).collect();
    let images: Vec<&str> = list.iter().map(|c| str_of(&c["image"])).collect();
    [names.join(",").into(), images.join(",").into()]
}

/// The first `max` entries joined by commas, then ` + N more...` for the rest of `count`.
fn first_of(list: &[String], count: usize, max: usize) -> String {
    let shown = list.iter().take(max).cloned().collect::<Vec<_>>().join(",");
    if count > max { format!("{shown} + {} more...", count - max) } else { shown }
}

/// Whether the first condition of `kind` in a `conditions` list has status `True`.
fn condition_true(conditions: &Value, kind: &str) -> bool {
    list_of(conditions).iter().find(|c| c["type"] == kind).is_some_and(|c| c["status"] == "True")
}

fn default_row(object: &Value, now: i64) -> Vec<Value> {
    vec![name(object), age(object, now)]
}

fn created_at_row(object: &Value, _now: i64) -> Vec<Value> {
    let created = object["metadata"]["creationTimestamp"].as_str().and_then(parse_rfc3339);
    let created = created.map_or_else(|| "0001-01-01T00:00:00Z".to_owned(), format_rfc3339);
    vec![name(object), created.into()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::resources::{BUILTINS, find};

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn human_duration_follows_apimachinery() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (150, "2m30s"),
            (599, "9m59s"),
            (600, "10m"),
            (90 * 60, "90m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 20 * 60, "3h20m"),
            (8 * 3600 + 59, "8h"),
            (25 * 3600, "25h"),
            (47 * 3600 + 3599, "47h"),
            (2 * 86_400, "2d"),
            (2 * 86_400 + 3 * 3600, "2d3h"),
            (8 * 86_400 + 5 * 3600, "8d"),
            (400 * 86_400, "400d"),
            (730 * 86_400, "2y"),
            (3 * 365 * 86_400 + 10 * 86_400, "3y10d"),
            (9 * 365 * 86_400 + 10 * 86_400, "9y"),
        ];
        for (seconds, want) in cases {
            assert_eq!(human_duration(seconds), want, "{seconds}s");
        }
    }

    #[test]
    fn age_reads_creation_timestamp() {
        let created = crate::meta::format_rfc3339(NOW - 300);
        let object = json!({"metadata": {"name": "x", "creationTimestamp": created}});
        assert_eq!(age(&object, NOW), "5m");
        assert_eq!(age(&json!({}), NOW), "<unknown>");
    }

    #[test]
    fn every_builtin_row_has_one_cell_per_column() {
        let odd = json!({"metadata": 7, "spec": [1], "status": "x"});
        for def in BUILTINS {
            let n = columns(def).len();
            assert_eq!(
                columns(def)[0].name,
                if def.kind == "Event" { "Last Seen" } else { "Name" }
            );
            assert_eq!(cells(def, &json!({}), NOW).len(), n, "{}", def.kind);
            assert_eq!(cells(def, &odd, NOW).len(), n, "{}", def.kind);
            assert!(columns(def).iter().any(|c| c.format == "name"), "{}", def.kind);
        }
    }

    #[test]
    fn deployment_columns_and_priorities() {
        let def = find("apps", "v1", "deployments").unwrap();
        let cols = columns(def);
        let names: Vec<_> = cols.iter().map(|c| (c.name, c.priority)).collect();
        assert_eq!(
            names,
            [
                ("Name", 0),
                ("Ready", 0),
                ("Up-to-date", 0),
                ("Available", 0),
                ("Age", 0),
                ("Containers", 1),
                ("Images", 1),
                ("Selector", 1)
            ]
        );
        let deploy = json!({
            "metadata": {"name": "web", "creationTimestamp": crate::meta::format_rfc3339(NOW - 7200)},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
        });
        assert_eq!(
            cells(def, &deploy, NOW),
            [json!("web"), json!("2/3"), json!(3), json!(2), json!("120m"), json!("nginx")]
                .into_iter()
                .chain([json!("nginx:1.27"), json!("app=web")])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn unknown_kinds_print_name_and_age() {
        let def = ResourceDef { kind: "Widget", group: "example.com", ..BUILTINS[0] };
        let names: Vec<_> = columns(&def).iter().map(|c| c.name).collect();
        assert_eq!(names, ["Name", "Age"]);
        let crd = find("apiextensions.k8s.io", "v1", "customresourcedefinitions").unwrap();
        let object = json!({"metadata": {"name": "w.example.com",
                                          "creationTimestamp": "2026-11-26T15:04:05.5Z"}});
        assert_eq!(
            cells(crd, &object, NOW),
            [json!("w.example.com"), json!("2026-11-26T15:04:05Z")]
        );
        assert_eq!(columns(crd)[1].kind, "date");
    }

    #[test]
    fn table_embeds_partial_metadata_by_default() {
        let def = find("", "v1", "configmaps").unwrap();
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "b"}},
                        "data": {"k": "v"}});
        let t = table(def, std::slice::from_ref(&cm), "104", Some("tok"), "", NOW, true);
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(t["metadata"], json!({"resourceVersion": "104", "continue": "tok"}));
        assert_eq!(t["columnDefinitions"][0]["name"], "Name");
        assert_eq!(t["columnDefinitions"][0]["format"], "name");
        assert_eq!(t["columnDefinitions"][1]["name"], "Data");
        assert_eq!(t["columnDefinitions"][2]["priority"], 0);
        assert_eq!(t["rows"][0]["cells"], json!(["c", 1, "<unknown>"]));
        assert_eq!(
            t["rows"][0]["object"],
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                   "metadata": {"name": "c", "labels": {"a": "b"}}})
        );
        let t = table(def, std::slice::from_ref(&cm), "104", None, "Metadata", NOW, true);
        assert_eq!(t["metadata"], json!({"resourceVersion": "104"}));
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn table_include_object_none_and_object() {
        let def = find("", "v1", "secrets").unwrap();
        let secret = json!({"kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque"});
        let t = table(def, std::slice::from_ref(&secret), "7", Some(""), "Object", NOW, false);
        assert_eq!(t["rows"][0]["object"], secret);
        assert_eq!(t["columnDefinitions"], Value::Null);
        assert!(t["metadata"].get("continue").is_none());
        let t = table(def, std::slice::from_ref(&secret), "7", None, "None", NOW, true);
        assert!(t["rows"][0].get("object").is_none());
        assert_eq!(t["rows"][0]["cells"], json!(["s", "Opaque", 0, "<unknown>"]));
        assert_eq!(table(def, &[], "7", None, "", NOW, true)["rows"], json!([]));
    }

    #[test]
    fn wants_table_reads_kubectl_accept_headers() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,\
                       application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert!(wants_table(kubectl));
        assert!(wants_table("application/json; as=Table; g=meta.k8s.io; v=v1beta1"));
        assert!(!wants_table("application/json"));
        assert!(!wants_table("application/json;as=Table;v=v2;g=meta.k8s.io"));
        assert!(!wants_table("application/json;as=Table;v=v1"));
        assert!(!wants_table("application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"));
        assert!(!wants_table(""));
    }

    #[test]
    fn selectors_and_labels_format_like_kubectl() {
        let sel = json!({"matchLabels": {"b": "2", "a": "1"},
                         "matchExpressions": [{"key": "t", "operator": "In", "values": ["y", "x"]}]});
        assert_eq!(format_selector(&sel), "a=1,b=2,t in (x,y)");
        assert_eq!(format_selector(&json!({})), "<none>");
        assert_eq!(format_selector(&Value::Null), "<none>");
        assert_eq!(format_selector(&json!({"matchLabels": 3})), "<error>");
        assert_eq!(format_labels(&json!({"z": "1", "a": "2"})), "a=2,z=1");
        assert_eq!(format_labels(&json!({})), "<none>");
    }
}
