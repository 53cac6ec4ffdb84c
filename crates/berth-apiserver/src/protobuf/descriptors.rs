//! The table in [`schema`] as prost-reflect descriptors, and the questions the decoder asks
//! about them: which message an object kind is, which fields are kept when zero and which Go
//! structs are inlined into their parent.
//!
//! [`Schema::get`] builds everything once, at the first protobuf request: each package of the
//! table becomes one proto2 `FileDescriptorProto` importing the packages it refers to, a
//! `map[string]T` becomes a repeated `…Entry` message as `protoc` would write it, and the set is
//! handed to [`DescriptorPool::from_file_descriptor_set`], which checks every reference.

use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet, MessageOptions,
};
use prost_reflect::{DescriptorPool, FieldDescriptor, MessageDescriptor};

use super::Error;
use super::schema::{self, Message};
use crate::resources;

/// The decoder's view of the table in [`schema`].
#[derive(Debug)]
pub(super) struct Schema {
    pool: DescriptorPool,
    /// Full names (`apps.v1.DeploymentSpec.replicas`) of fields written even when zero: Go
    /// pointers, and values whose JSON tag has no `omitempty` (`!T` in the table).
    kept_when_zero: HashSet<String>,
    /// Full names of fields that are Go structs inlined into their parent.
    inlined: HashSet<String>,
}

/// Built from a constant table, so it is a constant of the binary too: built once and shared.
static SCHEMA: OnceLock<Result<Schema, String>> = OnceLock::new();

impl Schema {
    /// The schema, built on first use.
    pub(super) fn get() -> Result<&'static Schema, Error> {
        SCHEMA
            .get_or_init(|| Schema::build(schema::messages()))
            .as_ref()
            .map_err(|error| Error::Schema(error.clone()))
    }

    /// The message called `full_name` (`core.v1.PodSpec`).
    pub(super) fn message(&self, full_name: &str) -> Option<MessageDescriptor> {
        self.pool.get_message_by_name(full_name)
    }

    /// The message of an object of `apiVersion` and `kind` that berth serves, as a resource or
    /// as the body of a subresource: `v1 Pod` → `core.v1.Pod`, `apps/v1 Deployment` →
    /// `apps.v1.Deployment`, `policy/v1 Eviction` → `policy.v1.Eviction`.
    pub(super) fn object(&self, api_version: &str, kind: &str) -> Option<MessageDescriptor> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        let subresource = || {
            resources::BUILTINS
                .iter()
                .flat_map(|def| def.subresources)
                .any(|sub| sub.response_kind() == Some((group, version, kind)))
        };
        if !word(version)
            || !word(kind)
            || (resources::by_kind(group, kind).is_none() && !subresource())
        {
            return None;
        }
        let package = if group.is_empty() { "core" } else { group.split('.').next()? };
        self.message(&format!("{package}.{version}.{kind}"))
    }

    /// A Go pointer (set to zero is still set: `replicas: 0`, `suspend: false`) or a value Go
    /// writes even when zero.
    pub(super) fn keeps_zero(&self, field: &FieldDescriptor) -> bool {
        self.kept_when_zero.contains(field.full_name())
    }

    /// The field's key in JSON; `None` when its Go struct is inlined into the parent.
    pub(super) fn json_name<'a>(&self, field: &'a FieldDescriptor) -> Option<&'a str> {
        (!self.inlined.contains(field.full_name())).then(|| field.name())
    }

    fn build<'a>(messages: impl IntoIterator<Item = &'a Message>) -> Result<Schema, String> {
        let mut files: Vec<FileDescriptorProto> = Vec::new();
        let mut imports: Vec<BTreeSet<String>> = Vec::new();
        let mut kept_when_zero = HashSet::new();
        let mut inlined = HashSet::new();
        for (full_name, fields) in messages {
            let (package, name) = full_name
                .rsplit_once('.')
                .ok_or_else(|| format!("{full_name}: a message name needs a package"))?;
            let at = match files.iter().position(|f| f.package.as_deref() == Some(package)) {
                Some(at) => at,
                None => {
                    files.push(FileDescriptorProto {
                        name: Some(format!("{package}.proto")),
                        package: Some(package.to_owned()),
                        syntax: Some("proto2".to_owned()),
                        ..Default::default()
                    });
                    imports.push(BTreeSet::new());
                    files.len() - 1
                }
            };
            let mut message =
                DescriptorProto { name: Some((*name).to_owned()), ..Default::default() };
            for &(number, json_name, go_type) in *fields {
                let context = |error: String| format!("{full_name} field {number}: {error}");
                let ty = GoType::parse(go_type, package).map_err(context)?;
                let field_name = if json_name.is_empty() {
                    let Elem::Message(inner) = &ty.elem else {
                        return Err(context("only a message can be inlined".into()));
                    };
                    lower_first(inner.rsplit_once('.').map_or(inner.as_str(), |(_, n)| n))
                } else {
                    json_name.to_owned()
                };
                let field_full_name = format!("{full_name}.{field_name}");
                if ty.pointer || ty.always {
                    kept_when_zero.insert(field_full_name.clone());
                }
                if json_name.is_empty() {
                    inlined.insert(field_full_name);
                }
                if let Elem::Message(inner) = &ty.elem {
                    let (inner_package, _) = inner.rsplit_once('.').unwrap_or_default();
                    if inner_package != package {
                        imports[at].insert(format!("{inner_package}.proto"));
                    }
                }
                message.field.push(ty.descriptor(
                    full_name,
                    &mut message.nested_type,
                    field_name,
                    number,
                ));
            }
            files[at].message_type.push(message);
        }
        for (file, imports) in files.iter_mut().zip(imports) {
            file.dependency = imports.into_iter().collect();
        }
        let pool = DescriptorPool::from_file_descriptor_set(FileDescriptorSet { file: files })
            .map_err(|error| error.to_string())?;
        Ok(Schema { pool, kept_when_zero, inlined })
    }
}

/// A Go type from the table: `*int32`, `!int32`, `[]Container`, `map[string]resource.Quantity`.
#[derive(Debug)]
struct GoType {
    pointer: bool,
    /// `!T`: written even when zero.
    always: bool,
    shape: Shape,
    elem: Elem,
}

#[derive(Debug, PartialEq)]
enum Shape {
    Single,
    List,
    Map,
}

#[derive(Debug)]
enum Elem {
    Scalar(Type),
    /// The full name of a message.
    Message(String),
}

impl GoType {
    fn parse(text: &str, package: &str) -> Result<GoType, String> {
        let (pointer, rest) = match text.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (always, rest) = match rest.strip_prefix('!') {
            Some(rest) if !pointer => (true, rest),
            _ => (false, rest),
        };
        let (shape, elem) = if let Some(elem) = rest.strip_prefix("[]") {
            (Shape::List, elem)
        } else if let Some(elem) = rest.strip_prefix("map[string]") {
            (Shape::Map, elem)
        } else {
            (Shape::Single, rest)
        };
        if (pointer || always) && shape != Shape::Single {
            return Err(format!("{text:?}: a pointer to a slice or a map"));
        }
        let elem = match elem {
            "string" => Elem::Scalar(Type::String),
            "bool" => Elem::Scalar(Type::Bool),
            "int32" => Elem::Scalar(Type::Int32),
            "int64" => Elem::Scalar(Type::Int64),
            "bytes" => Elem::Scalar(Type::Bytes),
            name if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                Elem::Message(format!("{package}.{name}"))
            }
            name if name.contains('.') => Elem::Message(name.to_owned()),
            _ => return Err(format!("{text:?} is not a type of the table")),
        };
        Ok(GoType { pointer, always, shape, elem })
    }

    /// The field's descriptor; a map also adds its entry message to `nested`.
    fn descriptor(
        &self,
        parent: &str,
        nested: &mut Vec<DescriptorProto>,
        name: String,
        number: i32,
    ) -> FieldDescriptorProto {
        let single = |name: String, number: i32, elem: &Elem| {
            let (ty, type_name) = match elem {
                Elem::Scalar(ty) => (*ty, None),
                Elem::Message(full) => (Type::Message, Some(format!(".{full}"))),
            };
            FieldDescriptorProto {
                json_name: Some(name.clone()),
                name: Some(name),
                number: Some(number),
                label: Some(Label::Optional.into()),
                r#type: Some(ty.into()),
                type_name,
                ..Default::default()
            }
        };
        match self.shape {
            Shape::Single => single(name, number, &self.elem),
            Shape::List => FieldDescriptorProto {
                label: Some(Label::Repeated.into()),
                ..single(name, number, &self.elem)
            },
            Shape::Map => {
                let entry = format!("{}Entry", upper_first(&name));
                nested.push(DescriptorProto {
                    name: Some(entry.clone()),
                    field: vec![
                        single("key".into(), 1, &Elem::Scalar(Type::String)),
                        single("value".into(), 2, &self.elem),
                    ],
                    options: Some(MessageOptions { map_entry: Some(true), ..Default::default() }),
                    ..Default::default()
                });
                FieldDescriptorProto {
                    label: Some(Label::Repeated.into()),
                    r#type: Some(Type::Message.into()),
                    type_name: Some(format!(".{parent}.{entry}")),
                    ..single(name, number, &self.elem)
                }
            }
        }
    }
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |c| c.to_ascii_lowercase().to_string() + chars.as_str())
}

fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |c| c.to_ascii_uppercase().to_string() + chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> &'static Schema {
        Schema::get().expect("the table builds")
    }

    #[test]
    fn the_table_builds_and_every_kind_is_served() {
        let schema = schema();
        let served = resources::BUILTINS.iter().map(|def| (def.api_version(), def.kind));
        for (full_name, _) in schema::messages() {
            let message = schema.message(full_name).expect("in the pool");
            let template = full_name.ends_with("TemplateSpec") || full_name.ends_with("Template");
            if message.get_field_by_name("metadata").is_none()
                || (template && !full_name.ends_with(".PodTemplate"))
            {
                continue;
            }
            let (package, kind) = full_name.rsplit_once('.').expect("a package");
            let object = served
                .clone()
                .chain(SUBRESOURCE_KINDS.iter().map(|(v, k)| (v.to_string(), *k)))
                .find(|(v, k)| {
                    *k == kind && schema.object(v, k).is_some_and(|m| m.full_name() == *full_name)
                });
            assert!(object.is_some(), "{full_name} ({package}) is not a kind berth serves");
        }
    }

    /// The bodies of subresources a typed client posts in protobuf.
    const SUBRESOURCE_KINDS: &[(&str, &str)] =
        &[("autoscaling/v1", "Scale"), ("v1", "Binding"), ("policy/v1", "Eviction")];

    /// Every built-in kind decodes from protobuf, except CustomResourceDefinitions (whose
    /// schemas are deep and which kubectl only ever applies as JSON).
    #[test]
    fn every_built_in_kind_is_in_the_table() {
        let schema = schema();
        for def in resources::BUILTINS {
            if def.group == "apiextensions.k8s.io" {
                continue;
            }
            let object = schema.object(&def.api_version(), def.kind);
            assert!(object.is_some(), "{} {} is not in the table", def.api_version(), def.kind);
        }
        for (api_version, kind) in SUBRESOURCE_KINDS {
            assert!(schema.object(api_version, kind).is_some(), "{api_version} {kind}");
        }
    }

    #[test]
    fn kinds_map_to_their_messages() {
        let schema = schema();
        let name = |v: &str, k: &str| schema.object(v, k).map(|m| m.full_name().to_owned());
        assert_eq!(name("apps/v1", "Deployment").as_deref(), Some("apps.v1.Deployment"));
        assert_eq!(name("v1", "Secret").as_deref(), Some("core.v1.Secret"));
        assert_eq!(name("batch/v1", "CronJob").as_deref(), Some("batch.v1.CronJob"));
        let rbac = name("rbac.authorization.k8s.io/v1", "ClusterRole");
        assert_eq!(rbac.as_deref(), Some("rbac.v1.ClusterRole"));
        let event = name("events.k8s.io/v1", "Event");
        assert_eq!(event.as_deref(), Some("events.v1.Event"));
        let hpa = name("autoscaling/v1", "HorizontalPodAutoscaler");
        assert_eq!(hpa.as_deref(), Some("autoscaling.v1.HorizontalPodAutoscaler"));
        assert_eq!(name("policy/v1", "Eviction").as_deref(), Some("policy.v1.Eviction"));
        assert_eq!(name("batch/v1beta1", "CronJob"), None, "not in the table");
        let crd = name("apiextensions.k8s.io/v1", "CustomResourceDefinition");
        assert_eq!(crd, None, "served, but not in the table");
        assert_eq!(name("v1", "PodSpec"), None, "not a kind");
        assert_eq!(name("v1", "PodTemplateSpec"), None, "not a kind");
        assert_eq!(name("v1", "PersistentVolumeClaimTemplate"), None, "not a kind");
        assert_eq!(name("policy/v1", "PodDisruptionBudgetSpec"), None, "not a kind");
        assert_eq!(name("v1", "Pod.LabelsEntry"), None);
        assert_eq!(name("", "Pod"), None);
    }

    #[test]
    fn pointers_inlined_fields_and_maps() {
        let schema = schema();
        let field = |message: &str, name: &str| {
            schema.message(message).and_then(|m| m.get_field_by_name(name)).expect("a field")
        };
        assert!(schema.keeps_zero(&field("apps.v1.DeploymentSpec", "replicas")));
        assert!(!schema.keeps_zero(&field("apps.v1.DeploymentSpec", "minReadySeconds")));
        let source = field("core.v1.Volume", "volumeSource");
        assert_eq!(schema.json_name(&source), None);
        assert_eq!(schema.json_name(&field("core.v1.Volume", "name")), Some("name"));
        let limits = field("core.v1.ResourceRequirements", "limits");
        assert!(limits.is_map());
        let value = limits.kind();
        let entry = value.as_message().expect("an entry message");
        assert_eq!(
            entry
                .map_entry_value_field()
                .kind()
                .as_message()
                .map(|m| m.full_name().to_owned())
                .as_deref(),
            Some("resource.Quantity")
        );
    }

    #[test]
    fn a_broken_table_is_an_error_not_a_panic() {
        let bad: &[Message] = &[("core.v1.Pod", &[(1, "spec", "PodSpec")])];
        let error = Schema::build(bad.iter()).expect_err("PodSpec is missing");
        assert!(error.contains("PodSpec"), "{error}");
        let bad: &[Message] = &[("core.v1.Pod", &[(1, "", "string")])];
        assert!(Schema::build(bad.iter()).is_err());
        let bad: &[Message] = &[("core.v1.Pod", &[(1, "a", "*[]string")])];
        assert!(Schema::build(bad.iter()).is_err());
        let bad: &[Message] = &[("core.v1.Pod", &[(1, "a", "string"), (1, "b", "string")])];
        assert!(Schema::build(bad.iter()).is_err(), "a number used twice");
    }
}
