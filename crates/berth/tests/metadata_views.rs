//! Metadata-only views, as kube-rs and client-go's metadata clients use them: `get_metadata`,
//! `list_metadata` and a watcher of `PartialObjectMeta` against a real `berth server` receive
//! `PartialObjectMetadata` (names, labels, resourceVersions) and never the objects' data.

mod common;

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PartialObjectMeta, PostParams};
use kube::runtime::watcher;

fn config_map(name: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {"app": "meta"}},
        "data": {"secret-ish": "x".repeat(1000)},
    }))
    .expect("config map")
}

#[tokio::test]
async fn metadata_clients_get_partial_objects() {
    let server = common::server(&[]);
    let url = server.url().expect("url");
    let config = kube::Config::new(url.parse().expect("url parses"));
    let client = kube::Client::try_from(config).expect("client");
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    for name in ["a", "b", "c"] {
        api.create(&PostParams::default(), &config_map(name)).await.expect("create");
    }

    let one = api.get_metadata("b").await.expect("get_metadata");
    assert_eq!(one.metadata.name.as_deref(), Some("b"));
    assert_eq!(one.types.as_ref().map(|t| t.kind.as_str()), Some("PartialObjectMetadata"));
    assert!(one.metadata.resource_version.is_some());

    let listed = api.list_metadata(&ListParams::default().labels("app=meta")).await.expect("list");
    let names: Vec<_> = listed.items.iter().filter_map(|i| i.metadata.name.clone()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(listed.metadata.resource_version.is_some());
    // The raw answer carries no data: the point of the view.
    let raw = common::curl(&[
        "-H",
        "Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        &format!("{url}/api/v1/namespaces/default/configmaps"),
    ]);
    assert_eq!(raw.1, "200", "{}", raw.0);
    assert!(raw.0.contains("\"kind\":\"PartialObjectMetadataList\""), "{}", raw.0);
    assert!(!raw.0.contains("xxxxxxxx"), "{}", raw.0);

    let watched = common::curl(&[
        "-H",
        "Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
        &format!("{url}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1"),
    ]);
    let lines: Vec<&str> = watched.0.lines().collect();
    assert_eq!(lines.len(), 3, "{}", watched.0);
    for line in lines {
        assert!(line.contains("\"kind\":\"PartialObjectMetadata\""), "{line}");
        assert!(!line.contains("xxxxxxxx"), "{line}");
    }

    // A metadata watcher sees the existing objects, then a new one.
    let metadata: Api<PartialObjectMeta<ConfigMap>> = Api::namespaced(client, "default");
    let mut events = watcher::watcher(metadata, watcher::Config::default())
        .map_ok(|event| match event {
            watcher::Event::InitApply(m) | watcher::Event::Apply(m) => m.metadata.name,
            _ => None,
        })
        .boxed();
    let (mut seen, mut created) = (Vec::new(), false);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !seen.contains(&"d".to_owned()) {
        let next = tokio::time::timeout_at(deadline, events.next()).await;
        let Ok(Some(event)) = next else { panic!("watch ended or timed out; saw {seen:?}") };
        if let Some(name) = event.expect("watch event") {
            seen.push(name);
        }
        if seen.len() == 3 && !created {
            created = true;
            api.create(&PostParams::default(), &config_map("d")).await.expect("create d");
        }
    }
    assert_eq!(seen, ["a", "b", "c", "d"]);
}
