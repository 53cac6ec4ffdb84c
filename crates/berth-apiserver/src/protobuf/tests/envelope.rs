//! The envelope, and what is refused: kinds and fields outside the table (415), bodies that
//! are not protobuf or nest too deep (400), never a panic.

use super::*;

#[test]
fn a_missing_type_meta_falls_back_to_the_collection() {
    let config_map = core::ConfigMap {
        metadata: Some(object_meta("c", &[])),
        data: BTreeMap::from([("a".into(), "b".into())]),
        ..Default::default()
    };
    let unknown = Unknown { raw: Some(config_map.encode_to_vec()), ..Default::default() };
    let body = [b"k8s\0".to_vec(), unknown.encode_to_vec()].concat();
    let object = decode(&body, def("", "configmaps")).expect("decodes");
    assert_eq!(
        object,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}})
    );
}

#[test]
fn the_envelope_may_carry_json_but_not_compression() {
    let namespaces = def("", "namespaces");
    let wrap = |raw: &[u8], content_type: &str, encoding: &str| {
        let unknown = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some("v1".into()),
                kind: Some("Namespace".into()),
            }),
            raw: Some(raw.to_vec()),
            content_type: Some(content_type.into()),
            content_encoding: Some(encoding.into()),
        };
        [b"k8s\0".to_vec(), unknown.encode_to_vec()].concat()
    };
    let body = wrap(br#"{"metadata":{"name":"j"}}"#, "application/json", "");
    let object = decode(&body, namespaces).expect("decodes");
    assert_eq!(object, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}));
    assert_eq!(code(decode(&wrap(b"x", "", "gzip"), namespaces)), 415);
    assert_eq!(code(decode(&wrap(b"x", "application/yaml", ""), namespaces)), 415);
    assert_eq!(code(decode(&wrap(b"[1]", "application/json", ""), namespaces)), 400);
}

#[test]
fn kinds_outside_the_table_are_415() {
    let deployments = def("apps", "deployments");
    let error =
        decode(&envelope("apps/v1beta1", "Deployment", &apps::Deployment::default()), deployments)
            .expect_err("apps/v1beta1 is not in the table");
    assert_eq!((error.code, error.reason), (415, "UnsupportedMediaType"));
    assert!(error.message.contains("apps/v1beta1, Kind=Deployment"), "{}", error.message);
    assert!(error.message.contains("application/json"), "{}", error.message);
    let stateful_set = apps::StatefulSet::default();
    let crds = def("apiextensions.k8s.io", "customresourcedefinitions");
    let body = envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", &stateful_set);
    assert_eq!(code(decode(&body, crds)), 415, "served, but not in the table");
    assert_eq!(code(decode(&envelope("v1", "NoSuchKind", &stateful_set), deployments)), 415);
    assert_eq!(code(decode(&envelope("v1", "PodSpec", &stateful_set), deployments)), 415);
    let body = envelope("autoscaling/v1", "Scale", &stateful_set);
    assert_eq!(code(decode(&body, def("batch", "jobs"))), 200, "a subresource's kind decodes");
    let body = envelope("policy/v1", "PodDisruptionBudgetSpec", &stateful_set);
    assert_eq!(code(decode(&body, def("policy", "poddisruptionbudgets"))), 415);
}

/// A field the table lacks is refused by name and number, wherever it sits: dropping it would
/// store something other than what the client sent.
#[test]
fn fields_outside_the_table_are_415() {
    let mut spec = pod_spec(vec![container("c", "busybox")]);
    spec.ephemeral_containers = vec![core::EphemeralContainer::default()];
    let deployment = apps::Deployment {
        metadata: Some(object_meta("web", &[])),
        spec: Some(apps::DeploymentSpec {
            template: Some(pod_template(&[], spec)),
            ..Default::default()
        }),
        status: None,
    };
    let body = envelope("apps/v1", "Deployment", &deployment);
    let error = decode(&body, def("apps", "deployments"))
        .expect_err("ephemeralContainers are not in the table");
    assert_eq!((error.code, error.reason), (415, "UnsupportedMediaType"));
    for needle in ["field 34 of core.v1.PodSpec", "at spec.template.spec", "application/json"] {
        assert!(error.message.contains(needle), "{needle}: {}", error.message);
    }

    // Deep in a list, inside an inlined struct.
    let mut spec = pod_spec(vec![]);
    spec.volumes = vec![core::Volume {
        name: Some("iscsi".into()),
        volume_source: Some(core::VolumeSource {
            iscsi: Some(core::IscsiVolumeSource::default()),
            ..Default::default()
        }),
    }];
    let pod = core::Pod { metadata: Some(object_meta("p", &[])), spec: Some(spec), status: None };
    let error = decode(&envelope("v1", "Pod", &pod), def("", "pods")).expect_err("iscsi");
    assert_eq!(error.code, 415);
    assert!(
        error.message.contains("field 8 of core.v1.VolumeSource (at spec.volumes[0])"),
        "{}",
        error.message
    );

    // At the top level of the object, and in the envelope.
    let mut raw = core::ConfigMap::default().encode_to_vec();
    encode_key(99, WireType::Varint, &mut raw);
    encode_varint(1, &mut raw);
    let error =
        decode(&envelope_of("v1", "ConfigMap", raw), def("", "configmaps")).expect_err("field 99");
    assert_eq!(error.code, 415);
    assert!(error.message.contains("field 99 of core.v1.ConfigMap,"), "{}", error.message);
    let mut body = envelope("v1", "ConfigMap", &core::ConfigMap::default());
    encode_key(5, WireType::LengthDelimited, &mut body);
    encode_varint(0, &mut body);
    let error = decode(&body, def("", "configmaps")).expect_err("field 5");
    assert_eq!(error.code, 415);
    assert!(error.message.contains("field 5 of runtime.Unknown"), "{}", error.message);
}

#[test]
fn garbage_is_400_not_a_panic() {
    let namespaces = def("", "namespaces");
    let cases: &[&[u8]] = &[
        b"",
        b"{\"kind\":\"Namespace\"}",
        b"k8s",
        b"k8s\0\xff\xff\xff\xff",
        // Truncated varint, then a length prefix far past the end of the body.
        b"k8s\0\x0a\xff\xff\xff",
        b"k8s\0\x12\xff\xff\xff\xff\x0f",
        b"k8s\0\x12\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
        // A valid envelope around bytes that are not a Namespace.
        b"k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x03\x0a\xff\x01",
        // A known field with the wrong wire type (metadata as a varint).
        b"k8s\0\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x02\x08\x01",
    ];
    for body in cases {
        let error = decode(body, namespaces).expect_err("garbage");
        assert_eq!(error.code, 400, "{body:?}: {}", error.message);
    }
}

/// Random bytes and random damage to a real body: an error or an object, never a panic.
#[test]
fn fuzzed_bodies_never_panic() {
    let namespace = core::Namespace {
        metadata: Some(object_meta("demo", &[("a", "b")])),
        ..Default::default()
    };
    let valid = envelope("v1", "Namespace", &namespace);
    let namespaces = def("", "namespaces");
    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..3000 {
        let body: Vec<u8> = if round % 2 == 0 {
            let mut body = valid.clone();
            for _ in 0..rng.usize(1..4) {
                let at = rng.usize(4..body.len());
                body[at] = rng.u8(..);
            }
            body.truncate(rng.usize(4..=body.len()));
            body
        } else {
            let mut body = b"k8s\0".to_vec();
            body.extend((0..rng.usize(0..64)).map(|_| rng.u8(..)));
            body
        };
        let code = code(decode(&body, namespaces));
        assert!(matches!(code, 200 | 400 | 415), "{body:?} gave {code}");
    }
}

/// Nesting deeper than prost's recursion limit is refused, not followed down the stack. No
/// message of the table contains itself, so the nesting is in groups of an unknown field.
#[test]
fn deep_nesting_is_refused() {
    let mut raw = Vec::new();
    for _ in 0..5000 {
        encode_key(99, WireType::StartGroup, &mut raw);
    }
    for _ in 0..5000 {
        encode_key(99, WireType::EndGroup, &mut raw);
    }
    let body = envelope_of("v1", "Namespace", raw.clone());
    let error = decode(&body, def("", "namespaces")).expect_err("too deep");
    assert_eq!(error.code, 400, "{}", error.message);
    assert!(error.message.contains("recursion limit"), "{}", error.message);
    // The same inside the envelope itself.
    let body = [b"k8s\0".to_vec(), raw].concat();
    let error = decode(&body, def("", "namespaces")).expect_err("too deep");
    assert_eq!(error.code, 400, "{}", error.message);
}
