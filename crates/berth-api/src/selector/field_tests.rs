//! Tests for [`FieldSelector`]: parsing, escaping, printing, validation and matching.

use super::*;
use serde_json::json;

fn parse(s: &str) -> FieldSelector {
    FieldSelector::parse(s).expect(s)
}

#[test]
fn parses_terms_and_prints_canonically() {
    let cases = [
        ("", ""),
        (",", ""),
        ("a=b", "a=b"),
        ("a==b", "a=b"),
        ("a!=b", "a!=b"),
        ("a=", "a="),
        ("a!=", "a!="),
        ("a=b,,c=d", "a=b,c=d"),
        ("z=1,a!=2,m==3", "a!=2,m=3,z=1"),
        (" spec.nodeName =n1", "spec.nodeName=n1"),
        ("a= b ", "a= b "),
        ("a=!b", "a=!b"),
        ("a=b!", "a=b!"),
        ("a!b=c", "a!b=c"),
        (r"a=x\,y", r"a=x\,y"),
        (r"a=x\=y", r"a=x\=y"),
        (r"a=x\\y", r"a=x\\y"),
        (r"a=x\\,b=y", r"a=x\\,b=y"),
        ("a=é,b=ü", "a=é,b=ü"),
    ];
    for (input, want) in cases {
        let parsed = parse(input);
        assert_eq!(parsed.to_string(), want, "{input:?}");
        assert_eq!(parse(&parsed.to_string()), parsed, "round trip of {input:?}");
    }
}

#[test]
fn unescapes_values() {
    let cases = [
        (r"a=x\,y", "x,y"),
        (r"a=x\=y", "x=y"),
        (r"a=x\\y", r"x\y"),
        (r"a=\\\,\=", r"\,="),
        ("a==b", "b"),
        (r"a==\=b", "=b"),
    ];
    for (input, want) in cases {
        assert_eq!(parse(input).requirements()[0].value(), want, "{input:?}");
    }
}

#[test]
fn rejects_malformed_selectors() {
    let cases = [
        ("a", r#"term "a" has no operator (=, == or !=)"#),
        ("a=b,c", r#"term "c" has no operator (=, == or !=)"#),
        ("=b", r#"term "=b" has no field name"#),
        (" !=b", r#"term " !=b" has no field name"#),
        ("a=b=c", r#"term "a=b=c": '=' in a value must be escaped as \="#),
        ("a===b", r#"term "a===b": '=' in a value must be escaped as \="#),
        (r"a=b\x", r#"term "a=b\\x": invalid escape sequence \x (only \\, \, and \= are known)"#),
        (r"a=b\", r#"term "a=b\\": value ends with a lone backslash"#),
    ];
    for (input, want) in cases {
        match FieldSelector::parse(input) {
            Err(SelectorError::InvalidFieldSelector { selector, reason }) => {
                assert_eq!(selector, input);
                assert_eq!(reason, want, "{input:?}");
            }
            other => panic!("{input:?} gave {other:?}"),
        }
    }
}

/// Found by the `selectors` fuzz target: `a! =b` trimmed to the field `a!`, which printed as
/// `a!=b`, a different selector.
#[test]
fn a_field_name_ending_in_bang_is_refused_rather_than_printed_as_not_equals() {
    for input in ["a! =b", "a! ==b", "! =b"] {
        match FieldSelector::parse(input) {
            Err(SelectorError::InvalidFieldSelector { reason, .. }) => {
                assert!(
                    reason.ends_with("a field name cannot end with '!'"),
                    "{input:?}: {reason}"
                );
            }
            other => panic!("{input:?} gave {other:?}"),
        }
    }
    assert_eq!(parse("a!b =c").to_string(), "a!b=c");
}

#[test]
fn escaping_round_trips_any_value() {
    for value in [r"\", ",", "=", r"a\,b=c\\", "", "plain", "=,\\,="] {
        let s = FieldSelector::from_requirements(vec![FieldRequirement::equals("f", value)]);
        assert_eq!(parse(&s.to_string()), s, "{value:?} printed as {s}");
    }
}

#[test]
fn validates_fields_per_resource() {
    let cases = [
        ("", "pods", "spec.nodeName=n1,status.phase!=Failed", None),
        ("", "pods", "metadata.name=p,metadata.namespace=ns", None),
        ("", "pods", "spec.host=n1", None),
        ("", "pods", "spec.foo=x", Some("spec.foo")),
        ("", "pods", "type=x", Some("type")),
        ("", "configmaps", "metadata.name=x", None),
        ("", "configmaps", "data.key=x", Some("data.key")),
        ("", "secrets", "type=kubernetes.io/tls", None),
        ("", "nodes", "spec.unschedulable=true", None),
        ("", "namespaces", "status.phase=Active", None),
        ("", "events", "involvedObject.uid=u,source=kubelet,reason=x", None),
        ("", "events", "regarding.uid=u", Some("regarding.uid")),
        ("events.k8s.io", "events", "regarding.uid=u,reportingController=c", None),
        ("events.k8s.io", "events", "involvedObject.uid=u", Some("involvedObject.uid")),
        ("", "services", "spec.type=ClusterIP,spec.clusterIP=None", None),
        ("batch", "jobs", "status.successful=1", None),
        ("apps", "deployments", "status.replicas=1", Some("status.replicas")),
        ("", "pods", "", None),
    ];
    for (group, resource, selector, unsupported) in cases {
        let got = parse(selector).validate_for(group, resource);
        let want = match unsupported {
            Some(field) => Err(SelectorError::UnsupportedField { field: field.to_owned() }),
            None => Ok(()),
        };
        assert_eq!(got, want, "{group}/{resource} {selector:?}");
    }
    let err = parse("spec.foo=x").validate_for("", "pods").expect_err("unsupported");
    assert_eq!(err.to_string(), "field label not supported: spec.foo");
}

#[test]
fn matches_objects() {
    let pod = json!({
        "metadata": {"name": "web-1", "namespace": "default"},
        "spec": {"nodeName": "n1", "restartPolicy": "Always", "hostNetwork": true},
        "status": {"phase": "Running", "podIP": "10.0.0.5"},
    });
    let cases = [
        ("", true),
        ("metadata.name=web-1", true),
        ("metadata.name==web-1", true),
        ("metadata.name!=web-1", false),
        ("metadata.name=web-2", false),
        ("metadata.namespace=default,spec.nodeName=n1", true),
        ("metadata.namespace=default,spec.nodeName=n2", false),
        ("spec.nodeName!=n2,status.phase!=Failed", true),
        ("spec.hostNetwork=true", true),
        ("spec.hostNetwork=false", false),
        ("status.podIP=10.0.0.5", true),
        ("spec.schedulerName=", true),
        ("spec.schedulerName!=", false),
        ("spec.schedulerName!=default-scheduler", true),
        ("spec.host=n1", true),
    ];
    for (selector, want) in cases {
        assert_eq!(parse(selector).matches_object(&pod), want, "{selector:?}");
    }
    let bare = json!({"metadata": {"name": "n"}});
    assert!(parse("spec.unschedulable=false").matches_object(&bare));
    assert!(parse("spec.hostNetwork!=true").matches_object(&bare));
    assert!(parse("status.replicas=0").matches_object(&bare));
}

#[test]
fn matches_events() {
    let event = json!({
        "metadata": {"name": "e", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "uid": "u-1"},
        "reason": "Scheduled",
        "source": {"component": "default-scheduler"},
        "type": "Normal",
    });
    let cases = [
        ("involvedObject.kind=Pod,involvedObject.name=web-1", true),
        ("involvedObject.uid=u-2", false),
        ("source=default-scheduler", true),
        ("source=kubelet", false),
        ("type=Normal,reason=Scheduled", true),
        ("involvedObject.fieldPath=", true),
        ("reportingComponent=", true),
    ];
    for (selector, want) in cases {
        assert_eq!(parse(selector).matches_object(&event), want, "{selector:?}");
    }
}

#[test]
fn exact_name_and_namespace() {
    let cases = [
        ("metadata.name=web", Some("web"), None),
        ("metadata.name==web,metadata.namespace=ns", Some("web"), Some("ns")),
        ("metadata.name!=web", None, None),
        ("metadata.name!=a,metadata.name=b", Some("b"), None),
        ("spec.nodeName=n1", None, None),
        ("metadata.namespace=", None, Some("")),
        ("", None, None),
    ];
    for (selector, name, namespace) in cases {
        let s = parse(selector);
        assert_eq!(s.exact_name(), name, "{selector:?}");
        assert_eq!(s.exact_namespace(), namespace, "{selector:?}");
    }
}

#[test]
fn requirements_are_inspectable() {
    let s = parse("b!=2,a=1");
    let terms: Vec<_> =
        s.requirements().iter().map(|r| (r.field(), r.is_negated(), r.value())).collect();
    assert_eq!(terms, [("a", false, "1"), ("b", true, "2")]);
    assert!(FieldSelector::everything().is_everything());
    assert!(!s.is_everything());
    assert!(FieldRequirement::not_equals("f", "x").matches_value("y"));
    assert!(!FieldRequirement::equals("f", "x").matches_value("y"));
}
