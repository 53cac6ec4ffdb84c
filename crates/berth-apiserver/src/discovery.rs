//! API discovery: the legacy documents (`APIVersions`, `APIGroupList`, `APIGroup`,
//! `APIResourceList`) and aggregated discovery (`APIGroupDiscoveryList`, served with its exact
//! content type when the client asks for it), built from [`crate::resources::BUILTINS`] and,
//! after the built-in groups, the custom resources of established CRDs ([`Crds`]).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::crds::Crds;
use crate::handlers::json_response;
use crate::resources::{self, BUILTINS, ResourceDef, VERBS};
use crate::status::ApiError;

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// `/api` or `/apis`, aggregated when the Accept header asks for `apidiscovery.k8s.io/v2`.
pub fn root(core: bool, headers: &HeaderMap, crds: &Crds) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let wants_aggregated = accept.split(',').any(|a| {
        a.contains("g=apidiscovery.k8s.io") && a.contains("v=v2") && !a.contains("v2beta1")
    });
    let groups = if core { vec![String::new()] } else { groups(crds) };
    if wants_aggregated {
        let items: Vec<Value> = groups.iter().map(|g| aggregated_group(g, crds)).collect();
        let body = json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items});
        let mut response = json_response(StatusCode::OK, &body);
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(AGGREGATED));
        return response;
    }
    if core {
        let body =
            json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []});
        return json_response(StatusCode::OK, &body);
    }
    let groups: Vec<Value> = groups.iter().map(|g| group_document(g, crds)).collect();
    json_response(
        StatusCode::OK,
        &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
    )
}

/// Every group but core: the built-in ones in table order, then the custom ones.
fn groups(crds: &Crds) -> Vec<String> {
    let mut groups: Vec<String> = resources::groups().into_iter().map(str::to_owned).collect();
    for group in crds.groups() {
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

/// The versions of a group, preferred first.
pub fn versions(group: &str, crds: &Crds) -> Vec<&'static str> {
    let mut versions = resources::versions(group);
    for version in crds.versions(group) {
        if !versions.contains(&version) {
            versions.push(version);
        }
    }
    versions
}

/// The resources served at a group-version: built-in, then custom.
pub fn resources(group: &str, version: &str, crds: &Crds) -> Vec<&'static ResourceDef> {
    let builtin = BUILTINS.iter().filter(|r| r.group == group && r.version == version);
    builtin.chain(crds.resources(group, version)).collect()
}

fn version_entry(group: &str, version: &str) -> Value {
    json!({"groupVersion": format!("{group}/{version}"), "version": version})
}

fn group_document(group: &str, crds: &Crds) -> Value {
    let versions: Vec<Value> =
        versions(group, crds).into_iter().map(|v| version_entry(group, v)).collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions, "preferredVersion": preferred})
}

/// `/apis/{group}`
pub fn group(group: &str, crds: &Crds) -> Result<Response, ApiError> {
    if versions(group, crds).is_empty() {
        return Err(ApiError::no_route());
    }
    Ok(json_response(StatusCode::OK, &group_document(group, crds)))
}

/// `/api/v1` or `/apis/{group}/{version}`
pub fn group_version_document(group: &str, version: &str, crds: &Crds) -> Value {
    let mut list = Vec::new();
    for def in resources(group, version, crds) {
        let mut resource = json!({
            "name": def.plural, "singularName": def.singular, "namespaced": def.namespaced,
            "kind": def.kind, "verbs": VERBS,
        });
        if !def.short_names.is_empty() {
            resource["shortNames"] = json!(def.short_names);
        }
        if !def.categories.is_empty() {
            resource["categories"] = json!(def.categories);
        }
        list.push(resource);
        for sub in def.subresources {
            let mut entry = json!({"name": format!("{}/{}", def.plural, sub.name()), "singularName": "",
                "namespaced": def.namespaced, "kind": def.kind, "verbs": sub.verbs()});
            if let Some((g, v, k)) = sub.response_kind() {
                entry["group"] = json!(g);
                entry["version"] = json!(v);
                entry["kind"] = json!(k);
            }
            list.push(entry);
        }
    }
    let group_version =
        if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": list})
}

pub fn group_version(group: &str, version: &str, crds: &Crds) -> Response {
    json_response(StatusCode::OK, &group_version_document(group, version, crds))
}

fn aggregated_group(group: &str, crds: &Crds) -> Value {
    let versions: Vec<Value> = versions(group, crds)
        .into_iter()
        .map(|version| {
            let defs = resources(group, version, crds);
            let resources: Vec<Value> = defs.into_iter().map(aggregated_resource).collect();
            json!({"version": version, "freshness": "Current", "resources": resources})
        })
        .collect();
    json!({"metadata": {"name": group}, "versions": versions})
}

fn aggregated_resource(def: &ResourceDef) -> Value {
    let subresources: Vec<Value> = def
        .subresources
        .iter()
        .map(|sub| {
            let (g, v, k) = sub.response_kind().unwrap_or((def.group, def.version, def.kind));
            json!({"subresource": sub.name(), "responseKind": {"group": g, "version": v, "kind": k}, "verbs": sub.verbs()})
        })
        .collect();
    let mut resource = json!({
        "resource": def.plural,
        "responseKind": {"group": def.group, "version": def.version, "kind": def.kind},
        "scope": if def.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": def.singular,
        "verbs": VERBS,
        "subresources": subresources,
    });
    if !def.short_names.is_empty() {
        resource["shortNames"] = json!(def.short_names);
    }
    if !def.categories.is_empty() {
        resource["categories"] = json!(def.categories);
    }
    resource
}
