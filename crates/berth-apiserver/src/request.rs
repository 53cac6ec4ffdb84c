//! Turns a request path into what it addresses: resource, namespace, name, subresource. The
//! rules follow kube-apiserver's: `/api/v1/…` is the core group, `/apis/{group}/{version}/…`
//! the others; `namespaces/{ns}/{resource}…` scopes a namespaced resource, except that
//! `namespaces/{name}/status|finalize` are the namespace's own subresources. Resources the
//! built-in table lacks are looked up among the custom ones ([`Crds`]).

use crate::crds::Crds;
use crate::resources::{self, ResourceDef, Sub};
use crate::status::ApiError;

/// A request for a resource collection or object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub def: &'static ResourceDef,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub sub: Option<Sub>,
}

/// What a path under `/api` or `/apis` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/api` or `/apis`
    Root {
        core: bool,
    },
    /// `/apis/{group}`
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`
    GroupVersion {
        group: String,
        version: String,
    },
    Resource(Target),
}

/// Parses a path such as `/apis/apps/v1/namespaces/default/deployments/web/scale`.
pub fn route(path: &str, crds: &Crds) -> Result<Route, ApiError> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api"] => return Ok(Route::Root { core: true }),
        ["apis"] => return Ok(Route::Root { core: false }),
        ["apis", group] => return Ok(Route::Group((*group).to_owned())),
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(ApiError::no_route()),
    };
    if rest.is_empty() {
        if resources::versions(group).contains(&version) || crds.versions(group).contains(&version)
        {
            return Ok(Route::GroupVersion {
                group: group.to_owned(),
                version: version.to_owned(),
            });
        }
        return Err(ApiError::no_route());
    }
    let mut rest = rest;
    let mut namespace = None;
    if rest[0] == "namespaces" && rest.len() >= 3 && rest[2] != "status" && rest[2] != "finalize" {
        namespace = Some(rest[1].to_owned());
        rest = &rest[2..];
    }
    let (plural, name, sub) = match rest {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(*name), None),
        [plural, name, sub] => (*plural, Some(*name), Some(*sub)),
        _ => return Err(ApiError::no_route()),
    };
    let def = resources::find(group, version, plural)
        .or_else(|| crds.find(group, version, plural))
        .ok_or_else(ApiError::no_route)?;
    if namespace.is_some() && !def.namespaced {
        return Err(ApiError::no_route());
    }
    let sub = match sub {
        None => None,
        Some(sub) => Some(
            *def.subresources.iter().find(|s| s.name() == sub).ok_or_else(ApiError::no_route)?,
        ),
    };
    if name.is_some_and(str::is_empty) {
        return Err(ApiError::no_route());
    }
    Ok(Route::Resource(Target { def, namespace, name: name.map(str::to_owned), sub }))
}

/// Decoded query parameters, last value wins.
#[derive(Clone, Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Query(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    pub fn number(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value {v:?} for query parameter {key}"))
            }),
        }
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(path: &str) -> Target {
        match route(path, &Crds::default()) {
            Ok(Route::Resource(t)) => t,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn paths_name_what_kube_apiserver_names() {
        let t = target("/api/v1/namespaces/default/pods/web/status");
        assert_eq!(
            (t.def.plural, t.namespace.as_deref(), t.name.as_deref()),
            ("pods", Some("default"), Some("web"))
        );
        assert_eq!(t.sub, Some(Sub::Status));
        let t = target("/api/v1/namespaces/default/status");
        assert_eq!(
            (t.def.plural, t.namespace, t.name.as_deref()),
            ("namespaces", None, Some("default"))
        );
        let t = target("/api/v1/namespaces/kube-system/configmaps");
        assert_eq!(
            (t.def.plural, t.namespace.as_deref(), t.name),
            ("configmaps", Some("kube-system"), None)
        );
        let t = target("/apis/apps/v1/deployments");
        assert_eq!((t.def.plural, t.namespace, t.name), ("deployments", None, None));
        let none = Crds::default();
        assert!(route("/api/v1/namespaces/default/nodes", &none).is_err());
        assert!(route("/apis/apps/v1/namespaces/x/deployments/web/log", &none).is_err());
        assert!(route("/apis/nope/v1/things", &none).is_err());
        assert_eq!(
            route("/apis/apps/v1", &none),
            Ok(Route::GroupVersion { group: "apps".into(), version: "v1".into() })
        );
    }

    #[test]
    fn query_decodes_selectors() {
        let q =
            Query::parse(Some("labelSelector=app%3Dweb%2Ctier+in+%28a%29&limit=500&watch=true"));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert_eq!(q.number("limit").ok().flatten(), Some(500));
        assert!(q.flag("watch"));
        assert!(Query::parse(Some("limit=x")).number("limit").is_err());
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
