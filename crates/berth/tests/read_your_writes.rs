//! Reads served by the watch cache are never older than a write the client saw acknowledged:
//! concurrent clients each replace an object and read it straight back, and every read shows
//! the write (a stale cache would answer the previous value).

mod common;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};

fn config_map(name: &str, round: usize) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "data": {"round": round.to_string()},
    }))
    .expect("config map")
}

#[tokio::test]
async fn a_get_after_a_write_sees_the_write() {
    let server = common::server(&[]);
    let url = server.url().expect("url");
    let client = kube::Client::try_from(kube::Config::new(url.parse().expect("url parses")))
        .expect("client");
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..4 {
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        tasks.spawn(async move {
            let name = format!("rw-{writer}");
            api.create(&PostParams::default(), &config_map(&name, 0)).await.expect("create");
            for round in 1..=100 {
                let mut current = api.get(&name).await.expect("get");
                assert_eq!(
                    current.data.as_ref().and_then(|d| d.get("round")).cloned(),
                    Some((round - 1).to_string()),
                    "{name} read before round {round}"
                );
                current.data = config_map(&name, round).data;
                let written =
                    api.replace(&name, &PostParams::default(), &current).await.expect("replace");
                let read = api.get(&name).await.expect("get");
                assert_eq!(read.metadata.resource_version, written.metadata.resource_version);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("writer task");
    }
}
