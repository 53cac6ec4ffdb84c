//! A CustomResourceDefinition as JSON: what the server reads from it ([`parse`]), and what a
//! write of one goes through ([`prepare`]): the defaults Kubernetes fills (`singular`,
//! `listKind`, `conversion`), its validation, and the status its naming and establishing
//! controllers would write (`acceptedNames`, `NamesAccepted` and `Established`,
//! `storedVersions`), computed at once so that the CRD is served when the write returns.
//! Pure functions of the object, the stored one and the names other CRDs of the group hold.

use serde_json::{Value, json};

use super::path;
use crate::meta;
use crate::status::Cause;

/// The names a CRD gives its resource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
}

impl Names {
    fn read(names: &Value) -> Names {
        let text = |field: &str| names[field].as_str().unwrap_or_default().to_owned();
        let list = |field: &str| -> Vec<String> {
            let items = names[field].as_array().map(Vec::as_slice).unwrap_or_default();
            items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
        };
        Names {
            plural: text("plural"),
            singular: text("singular"),
            kind: text("kind"),
            list_kind: text("listKind"),
            short_names: list("shortNames"),
            categories: list("categories"),
        }
    }

    fn to_json(&self) -> Value {
        let mut names = json!({"plural": self.plural, "singular": self.singular,
                               "kind": self.kind, "listKind": self.list_kind});
        if !self.short_names.is_empty() {
            names["shortNames"] = json!(self.short_names);
        }
        if !self.categories.is_empty() {
            names["categories"] = json!(self.categories);
        }
        names
    }
}

/// One printer column, as the CRD wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ColumnSpec {
    pub name: String,
    pub kind: String,
    pub format: String,
    pub description: String,
    pub priority: i32,
    pub json_path: String,
}

/// The scale subresource's paths.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScaleSpec {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// One entry of `spec.versions`.
#[derive(Clone, Debug)]
pub struct Version {
    pub name: String,
    pub served: bool,
    pub storage: bool,
    pub schema: Option<Value>,
    pub status: bool,
    pub scale: Option<ScaleSpec>,
    pub columns: Vec<ColumnSpec>,
}

/// What the server serves from a CRD.
#[derive(Clone, Debug)]
pub struct Definition {
    pub name: String,
    pub group: String,
    /// `status.acceptedNames`: what is served, which may lag `spec.names` after a conflict.
    pub names: Names,
    pub namespaced: bool,
    pub versions: Vec<Version>,
    pub established: bool,
    pub terminating: bool,
}

impl Definition {
    pub fn storage_version(&self) -> Option<&str> {
        self.versions.iter().find(|v| v.storage).map(|v| v.name.as_str())
    }
}

/// Reads a stored CRD; `None` when it lacks what serving needs.
pub fn parse(crd: &Value) -> Option<Definition> {
    let name = meta::meta_str(crd, "name")?.to_owned();
    let spec = crd.get("spec")?;
    let group = spec["group"].as_str().filter(|g| !g.is_empty())?.to_owned();
    let accepted = Names::read(&crd["status"]["acceptedNames"]);
    let names = if accepted.kind.is_empty() || accepted.plural.is_empty() {
        with_defaults(Names::read(&spec["names"]))
    } else {
        with_defaults(accepted)
    };
    let versions = spec["versions"].as_array()?.iter().map(version).collect();
    Some(Definition {
        name,
        group,
        names,
        namespaced: spec["scope"] != "Cluster",
        versions,
        established: condition(crd, "Established") == Some("True"),
        terminating: crd.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()),
    })
}

fn version(v: &Value) -> Version {
    let scale = &v["subresources"]["scale"];
    let columns = v["additionalPrinterColumns"].as_array().map(Vec::as_slice).unwrap_or_default();
    Version {
        name: v["name"].as_str().unwrap_or_default().to_owned(),
        served: v["served"].as_bool().unwrap_or(false),
        storage: v["storage"].as_bool().unwrap_or(false),
        schema: v.pointer("/schema/openAPIV3Schema").filter(|s| s.is_object()).cloned(),
        status: v["subresources"]["status"].is_object(),
        scale: scale.is_object().then(|| ScaleSpec {
            spec_replicas: scale["specReplicasPath"].as_str().unwrap_or_default().to_owned(),
            status_replicas: scale["statusReplicasPath"].as_str().unwrap_or_default().to_owned(),
            label_selector: scale["labelSelectorPath"].as_str().map(str::to_owned),
        }),
        columns: columns
            .iter()
            .map(|c| ColumnSpec {
                name: c["name"].as_str().unwrap_or_default().to_owned(),
                kind: c["type"].as_str().unwrap_or("string").to_owned(),
                format: c["format"].as_str().unwrap_or_default().to_owned(),
                description: c["description"].as_str().unwrap_or_default().to_owned(),
                priority: c["priority"].as_i64().and_then(|p| i32::try_from(p).ok()).unwrap_or(0),
                json_path: c["jsonPath"].as_str().unwrap_or_default().to_owned(),
            })
            .collect(),
    }
}

fn with_defaults(mut names: Names) -> Names {
    if names.singular.is_empty() {
        names.singular = names.kind.to_lowercase();
    }
    if names.list_kind.is_empty() && !names.kind.is_empty() {
        names.list_kind = format!("{}List", names.kind);
    }
    names
}

/// The status of a condition of the CRD.
fn condition<'a>(crd: &'a Value, kind: &str) -> Option<&'a str> {
    let conditions = crd.pointer("/status/conditions")?.as_array()?;
    conditions.iter().find(|c| c["type"] == kind)?["status"].as_str()
}

/// Defaults, validates and sets the status of a CRD being written. `old` is the stored one on
/// an update; `taken` the accepted names of the other CRDs of its group.
pub fn prepare(crd: &mut Value, old: Option<&Value>, taken: &[Names]) -> Result<(), Vec<Cause>> {
    default(crd);
    let causes = validate(crd, old);
    if !causes.is_empty() {
        return Err(causes);
    }
    set_status(crd, old, taken);
    Ok(())
}

fn default(crd: &mut Value) {
    let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) else { return };
    spec.entry("conversion").or_insert_with(|| json!({"strategy": "None"}));
    if let Some(names) = spec.get_mut("names").and_then(Value::as_object_mut) {
        let kind = names.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
        let empty = |v: Option<&Value>| v.and_then(Value::as_str).is_none_or(str::is_empty);
        if empty(names.get("singular")) && !kind.is_empty() {
            names.insert("singular".into(), json!(kind.to_lowercase()));
        }
        if empty(names.get("listKind")) && !kind.is_empty() {
            names.insert("listKind".into(), json!(format!("{kind}List")));
        }
    }
}

/// A lowercase RFC 1035 label: what plural, singular, short names and version names must be.
fn is_dns1035_label(s: &str) -> bool {
    meta::is_dns_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

const DNS1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or \
                       '-', start with an alphabetic character, and end with an alphanumeric \
                       character (e.g. 'my-name',  or 'abc-123', regex used for validation is \
                       '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn validate(crd: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let names = Names::read(&spec["names"]);
    let name = meta::meta_str(crd, "name").unwrap_or_default();
    if group.is_empty() {
        causes.push(Cause::required("spec.group"));
    } else if !group.contains('.') || !meta::is_dns_subdomain(group) {
        causes.push(Cause::invalid(
            "spec.group",
            format!("Invalid value: {group:?}: should be a domain with at least one dot"),
        ));
    }
    if !names.plural.is_empty() && !group.is_empty() && name != format!("{}.{group}", names.plural)
    {
        causes.push(Cause::invalid(
            "metadata.name",
            format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    let label = |causes: &mut Vec<Cause>, field: &str, value: &str, required: bool| {
        if value.is_empty() {
            if required {
                causes.push(Cause::required(field));
            }
        } else if !is_dns1035_label(value) {
            causes.push(Cause::invalid(field, format!("Invalid value: {value:?}: {DNS1035}")));
        }
    };
    label(&mut causes, "spec.names.plural", &names.plural, true);
    label(&mut causes, "spec.names.singular", &names.singular, false);
    for (i, short) in names.short_names.iter().enumerate() {
        label(&mut causes, &format!("spec.names.shortNames[{i}]"), short, true);
    }
    for (field, kind) in
        [("spec.names.kind", &names.kind), ("spec.names.listKind", &names.list_kind)]
    {
        if kind.is_empty() {
            causes.push(Cause::required(field));
        } else if !is_dns1035_label(&kind.to_lowercase()) {
            causes.push(Cause::invalid(
                field,
                format!(
                    "Invalid value: {kind:?}: may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?"
                ),
            ));
        }
    }
    if !names.kind.is_empty() && names.kind == names.list_kind {
        causes.push(Cause::invalid(
            "spec.names.listKind",
            format!("Invalid value: {:?}: kind and listKind cannot be the same", names.list_kind),
        ));
    }
    match spec["scope"].as_str().unwrap_or_default() {
        "" => causes.push(Cause::required("spec.scope")),
        "Namespaced" | "Cluster" => {}
        other => causes.push(Cause {
            kind: "FieldValueNotSupported",
            field: "spec.scope".into(),
            message: format!(
                "Unsupported value: {other:?}: supported values: \"Cluster\", \"Namespaced\""
            ),
        }),
    }
    if let Some(old) = old
        && old["spec"]["scope"] != spec["scope"]
    {
        causes.push(Cause::invalid(
            "spec.scope",
            format!("Invalid value: {}: field is immutable", spec["scope"]),
        ));
    }
    match spec["conversion"]["strategy"].as_str() {
        None | Some("None" | "Webhook") => {}
        Some(other) => causes.push(Cause {
            kind: "FieldValueNotSupported",
            field: "spec.conversion.strategy".into(),
            message: format!(
                "Unsupported value: {other:?}: supported values: \"None\", \"Webhook\""
            ),
        }),
    }
    validate_versions(spec, &mut causes);
    causes
}

fn validate_versions(spec: &Value, causes: &mut Vec<Cause>) {
    let versions = spec["versions"].as_array().map(Vec::as_slice).unwrap_or_default();
    if versions.is_empty() {
        causes.push(Cause::required("spec.versions"));
        return;
    }
    let storage = versions.iter().filter(|v| v["storage"] == true).count();
    if storage != 1 {
        causes.push(Cause::invalid(
            "spec.versions",
            format!(
                "Invalid value: {storage}: must have exactly one version marked as storage version"
            ),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, raw) in versions.iter().enumerate() {
        let at = format!("spec.versions[{i}]");
        let v = version(raw);
        if v.name.is_empty() {
            causes.push(Cause::required(format!("{at}.name")));
        } else if !is_dns1035_label(&v.name) {
            let message = format!("Invalid value: {:?}: {DNS1035}", v.name);
            causes.push(Cause::invalid(format!("{at}.name"), message));
        } else if seen.contains(&v.name.as_str()) {
            causes.push(Cause {
                kind: "FieldValueDuplicate",
                field: format!("{at}.name"),
                message: format!("Duplicate value: {:?}", v.name),
            });
        }
        seen.extend(raw["name"].as_str());
        match raw.pointer("/schema/openAPIV3Schema") {
            None | Some(Value::Null) => causes.push(Cause {
                kind: "FieldValueRequired",
                field: format!("{at}.schema.openAPIV3Schema"),
                message: "Required value: schemas are required".into(),
            }),
            Some(schema) => match schema["type"].as_str() {
                Some("object") => {}
                None => causes.push(Cause {
                    kind: "FieldValueRequired",
                    field: format!("{at}.schema.openAPIV3Schema.type"),
                    message: "Required value: must not be empty at the root".into(),
                }),
                Some(other) => causes.push(Cause {
                    kind: "FieldValueNotSupported",
                    field: format!("{at}.schema.openAPIV3Schema.type"),
                    message: format!("Unsupported value: {other:?}: supported values: \"object\""),
                }),
            },
        }
        if let Some(scale) = &v.scale {
            let check = |causes: &mut Vec<Cause>, field: &str, path: &str, under: &[&str]| {
                let fine = path::parse(path).is_some_and(|steps| !steps.is_empty())
                    && under.iter().any(|u| path.starts_with(u));
                if !fine {
                    let under = under.iter().map(|u| u.trim_end_matches('.')).collect::<Vec<_>>();
                    let message = format!(
                        "Invalid value: {path:?}: should be a json path under {}",
                        under.join(" or ")
                    );
                    causes
                        .push(Cause::invalid(format!("{at}.subresources.scale.{field}"), message));
                }
            };
            check(causes, "specReplicasPath", &scale.spec_replicas, &[".spec."]);
            check(causes, "statusReplicasPath", &scale.status_replicas, &[".status."]);
            if let Some(selector) = &scale.label_selector {
                check(causes, "labelSelectorPath", selector, &[".spec.", ".status."]);
            }
        }
        for (j, column) in v.columns.iter().enumerate() {
            let field = format!("{at}.additionalPrinterColumns[{j}]");
            if column.name.is_empty() {
                causes.push(Cause::required(format!("{field}.name")));
            }
            if !matches!(column.kind.as_str(), "integer" | "number" | "string" | "boolean" | "date")
            {
                causes.push(Cause {
                    kind: "FieldValueNotSupported",
                    field: format!("{field}.type"),
                    message: format!(
                        "Unsupported value: {:?}: supported values: \"boolean\", \"date\", \"integer\", \"number\", \"string\"",
                        column.kind
                    ),
                });
            }
            if column.json_path.is_empty() {
                causes.push(Cause::required(format!("{field}.jsonPath")));
            } else if path::parse(&column.json_path).is_none() {
                causes.push(Cause::invalid(
                    format!("{field}.jsonPath"),
                    format!("Invalid value: {:?}: must be a simple json path", column.json_path),
                ));
            }
        }
    }
}

/// Which of `names` another CRD of the group holds already, as a `NamesAccepted=False`
/// reason and message.
fn conflict(names: &Names, taken: &[Names]) -> Option<(&'static str, String)> {
    for other in taken {
        if other.plural == names.plural {
            return Some(("PluralConflict", format!("{:?} is already in use", names.plural)));
        }
        if other.singular == names.singular {
            return Some(("SingularConflict", format!("{:?} is already in use", names.singular)));
        }
        if let Some(short) = names.short_names.iter().find(|s| other.short_names.contains(s)) {
            return Some(("ShortNamesConflict", format!("{short:?} is already in use")));
        }
        if other.kind == names.kind {
            return Some(("KindConflict", format!("{:?} is already in use", names.kind)));
        }
        if other.list_kind == names.list_kind {
            return Some(("ListKindConflict", format!("{:?} is already in use", names.list_kind)));
        }
    }
    None
}

/// Writes the status the naming and establishing controllers would: conditions this server
/// does not own (a client's, `Terminating`) and `storedVersions` stay as the write left them
/// (the stored status, or the one a `/status` write sends); a create starts from nothing.
fn set_status(crd: &mut Value, old: Option<&Value>, taken: &[Names]) {
    let names = Names::read(&crd["spec"]["names"]);
    let previous = if old.is_some() { crd["status"].clone() } else { Value::Null };
    let was_established = old.is_some_and(|o| condition(o, "Established") == Some("True"));
    let now = meta::now_rfc3339();
    let mut accepted = previous["acceptedNames"].clone();
    let (names_accepted, established) = match conflict(&names, taken) {
        None => {
            accepted = names.to_json();
            let initial = "the initial names have been accepted";
            (
                ("True", "NoConflicts", "no conflicts found".to_owned()),
                ("True", "InitialNamesAccepted", initial.to_owned()),
            )
        }
        Some((reason, message)) if was_established => (
            ("False", reason, message),
            ("True", "InitialNamesAccepted", "the initial names have been accepted".to_owned()),
        ),
        Some((reason, message)) => {
            if accepted.is_null() {
                accepted = json!({"plural": "", "kind": ""});
            }
            (
                ("False", reason, message),
                ("False", "NotAccepted", "not all names are accepted".to_owned()),
            )
        }
    };
    let old_conditions = previous["conditions"].as_array().cloned().unwrap_or_default();
    let make = |kind: &str, (status, reason, message): (&str, &str, String)| {
        let since = old_conditions
            .iter()
            .find(|c| c["type"] == kind && c["status"] == status)
            .and_then(|c| c["lastTransitionTime"].as_str())
            .unwrap_or(&now)
            .to_owned();
        json!({"type": kind, "status": status, "lastTransitionTime": since,
               "reason": reason, "message": message})
    };
    let mut conditions =
        vec![make("NamesAccepted", names_accepted), make("Established", established)];
    conditions.extend(
        old_conditions
            .iter()
            .filter(|c| c["type"] != "NamesAccepted" && c["type"] != "Established")
            .cloned(),
    );
    let mut stored: Vec<Value> = previous["storedVersions"].as_array().cloned().unwrap_or_default();
    let storage = crd["spec"]["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["storage"] == true))
        .and_then(|v| v["name"].as_str())
        .map(str::to_owned);
    if let Some(storage) = storage
        && !stored.iter().any(|v| v == storage.as_str())
    {
        stored.push(json!(storage));
    }
    if let Some(map) = crd.as_object_mut() {
        map.insert(
            "status".into(),
            json!({"acceptedNames": accepted, "conditions": conditions, "storedVersions": stored}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com", "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [
                    {"name": "v1", "served": true, "storage": true,
                     "schema": {"openAPIV3Schema": {"type": "object"}},
                     "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}}},
                    {"name": "v1beta1", "served": true, "storage": false,
                     "schema": {"openAPIV3Schema": {"type": "object"}}},
                ],
            },
        })
    }

    #[test]
    fn a_new_crd_is_established_with_its_names() {
        let mut object = crd();
        prepare(&mut object, None, &[]).expect("valid");
        assert_eq!(object["spec"]["names"]["singular"], "widget");
        assert_eq!(object["spec"]["names"]["listKind"], "WidgetList");
        assert_eq!(object["spec"]["conversion"]["strategy"], "None");
        let status = &object["status"];
        assert_eq!(status["acceptedNames"]["kind"], "Widget");
        assert_eq!(status["acceptedNames"]["shortNames"], json!(["wd"]));
        assert_eq!(status["conditions"][0]["type"], "NamesAccepted");
        assert_eq!(status["conditions"][1]["type"], "Established");
        assert_eq!(status["conditions"][1]["status"], "True");
        assert_eq!(status["storedVersions"], json!(["v1"]));
        let parsed = parse(&object).expect("parses");
        assert!(parsed.established && parsed.namespaced);
        assert_eq!(parsed.storage_version(), Some("v1"));
        assert_eq!(
            parsed.versions[0].scale.as_ref().map(|s| s.spec_replicas.as_str()),
            Some(".spec.replicas")
        );
        assert!(parsed.versions[0].status && !parsed.versions[1].status);
    }

    #[test]
    fn invalid_crds_name_the_field() {
        let fields = |object: &mut Value| -> Vec<String> {
            prepare(object, None, &[])
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.field)
                .collect()
        };
        let mut wrong_name = crd();
        wrong_name["metadata"]["name"] = json!("widget.example.com");
        assert_eq!(fields(&mut wrong_name), ["metadata.name"]);
        let mut two_storage = crd();
        two_storage["spec"]["versions"][1]["storage"] = json!(true);
        assert_eq!(fields(&mut two_storage), ["spec.versions"]);
        let mut no_schema = crd();
        no_schema["spec"]["versions"][1]["schema"] = Value::Null;
        assert_eq!(fields(&mut no_schema), ["spec.versions[1].schema.openAPIV3Schema"]);
        let mut bad_scope = crd();
        bad_scope["spec"]["scope"] = json!("Everywhere");
        assert_eq!(fields(&mut bad_scope), ["spec.scope"]);
        let mut bad_path = crd();
        bad_path["spec"]["versions"][0]["subresources"]["scale"]["specReplicasPath"] =
            json!(".status.x");
        assert_eq!(fields(&mut bad_path), ["spec.versions[0].subresources.scale.specReplicasPath"]);
        let mut old = crd();
        prepare(&mut old, None, &[]).expect("valid");
        let mut rescoped = crd();
        rescoped["spec"]["scope"] = json!("Cluster");
        let causes = prepare(&mut rescoped, Some(&old), &[]).expect_err("immutable");
        assert_eq!(causes[0].field, "spec.scope");
    }

    #[test]
    fn a_status_write_keeps_conditions_the_server_does_not_own() {
        let mut old = crd();
        prepare(&mut old, None, &[]).expect("valid");
        let mut next = old.clone();
        let custom = json!({"type": "StatusUpdated", "status": "True", "reason": "E2E"});
        if let Some(conditions) = next["status"]["conditions"].as_array_mut() {
            conditions.push(custom.clone());
        }
        prepare(&mut next, Some(&old), &[]).expect("valid");
        let conditions = next["status"]["conditions"].as_array().cloned().unwrap_or_default();
        assert_eq!(conditions.len(), 3);
        assert_eq!(conditions[2], custom);
        assert_eq!(
            conditions[1], old["status"]["conditions"][1],
            "unchanged, same transition time"
        );
    }

    #[test]
    fn a_kind_in_use_is_not_accepted() {
        let taken = Names { kind: "Widget".into(), plural: "others".into(), ..Names::default() };
        let mut object = crd();
        prepare(&mut object, None, &[taken]).expect("valid");
        assert_eq!(object["status"]["conditions"][0]["status"], "False");
        assert_eq!(object["status"]["conditions"][0]["reason"], "KindConflict");
        assert_eq!(object["status"]["conditions"][1]["status"], "False");
        assert!(!parse(&object).expect("parses").established);
    }
}
