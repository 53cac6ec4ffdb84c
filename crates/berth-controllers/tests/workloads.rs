//! The workload controllers against a real `berth server`: ReplicaSets keep their pod count,
//! deployments roll out within maxSurge/maxUnavailable, `kubectl rollout` works, and deletes
//! cascade in each propagation mode. The replicaset, deployment and garbage collector
//! controllers run in this process; no node runs pods, so a helper marks every pod Running
//! and Ready. Needs the `berth` binary (`cargo build -p berth`, or `BERTH_BIN`).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use berth_controllers::Config;
use berth_testkit::BerthServer;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use serde_json::json;

mod common;
use common::{Cluster, eventually, set_pod};

const MINE: &[&str] = &["replicaset", "deployment", "garbagecollector"];

async fn cluster() -> anyhow::Result<Cluster> {
    let mut cluster = common::cluster(MINE, Config::default()).await?;
    cluster.spawn(make_pods_ready(cluster.client.clone()));
    Ok(cluster)
}

/// Stands in for the nodes: every pod not yet Ready becomes Running and Ready.
async fn make_pods_ready(client: kube::Client) {
    let pods: Api<Pod> = Api::all(client.clone());
    loop {
        if let Ok(list) = pods.list(&ListParams::default()).await {
            for pod in list.items {
                let ready =
                    pod.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| {
                        c.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                    });
                if ready || pod.metadata.deletion_timestamp.is_some() {
                    continue;
                }
                let api: Api<Pod> =
                    Api::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
                let _ = set_pod(&api, &pod.name_any(), "Running", None, true).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kubectl(server: &BerthServer, args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::task::block_in_place(|| server.kubectl(args))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "kubectl {} failed: {stdout}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

async fn active_pods(client: &kube::Client, app: &str) -> anyhow::Result<Vec<Pod>> {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let list = api.list(&ListParams::default().labels(&format!("app={app}"))).await?;
    Ok(list.items.into_iter().filter(|p| p.metadata.deletion_timestamp.is_none()).collect())
}

async fn sets(client: &kube::Client, app: &str) -> anyhow::Result<Vec<ReplicaSet>> {
    let api: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    Ok(api.list(&ListParams::default().labels(&format!("app={app}"))).await?.items)
}

fn image_of(rs: &ReplicaSet) -> String {
    rs.spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

fn spec_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn template(app: &str, image: &str) -> serde_json::Value {
    json!({"metadata": {"labels": {"app": app}},
           "spec": {"containers": [{"name": "c", "image": image}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicaset_keeps_its_pod_count_and_scales_down() -> anyhow::Result<()> {
    let cluster = cluster().await?;
    let client = &cluster.client;
    let api: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let rs: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template("web", "nginx:1")}
    }))?;
    api.create(&PostParams::default(), &rs).await?;
    let ready = |want: i32| {
        let api = api.clone();
        move || {
            let api = api.clone();
            async move {
                let rs = api.get("web").await?;
                let status = rs.status.unwrap_or_default();
                Ok((status.replicas == want && status.ready_replicas == Some(want)).then_some(()))
            }
        }
    };
    eventually(20, "3 ready replicas", ready(3)).await?;
    let pods = active_pods(client, "web").await?;
    assert_eq!(pods.len(), 3, "exactly 3 pods");
    assert!(pods.iter().all(|p| p.name_any().starts_with("web-")));

    let victim = pods[0].name_any();
    let pod_api: Api<Pod> = Api::namespaced(client.clone(), "default");
    pod_api.delete(&victim, &DeleteParams::default()).await?;
    let replaced = eventually(20, "a replacement pod", || async {
        let pods = active_pods(client, "web").await?;
        Ok((pods.len() == 3 && pods.iter().all(|p| p.name_any() != victim)).then_some(pods))
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(active_pods(client, "web").await?.len(), 3, "no extra pod: {replaced:?}");

    api.patch("web", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 1}})))
        .await?;
    eventually(20, "1 ready replica", ready(1)).await?;
    assert_eq!(active_pods(client, "web").await?.len(), 1);
    drop(cluster);
    Ok(())
}

fn deployment_manifest(name: &str, replicas: i32, image: &str) -> String {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
            "template": template(name, image)}})
    .to_string()
}

/// Watches the ReplicaSets of `app` until stopped; returns the violations of the bounds seen.
fn watch_bounds(
    client: kube::Client,
    app: &'static str,
    max_total: i32,
) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut violations = Vec::new();
        loop {
            if let Ok(sets) = sets(&client, app).await {
                let total: i32 = sets.iter().map(spec_replicas).sum();
                if total > max_total {
                    let sizes: BTreeMap<String, i32> =
                        sets.iter().map(|rs| (rs.name_any(), spec_replicas(rs))).collect();
                    violations.push(format!("{total} replicas > {max_total}: {sizes:?}"));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_rolls_out_within_bounds_and_rollout_commands_work() -> anyhow::Result<()> {
    let cluster = cluster().await?;
    let (server, client) = (&cluster.server, &cluster.client);
    let path = server.scratch().join("web.json");
    std::fs::write(&path, deployment_manifest("roll", 4, "nginx:1"))?;
    kubectl(server, &["apply", "-f", &path.display().to_string()])?;
    kubectl(server, &["rollout", "status", "deployment/roll", "--timeout=60s"])?;

    // Bounds: never more than 4 + 1 replicas asked for; never fewer than 4 - 1 pods ready.
    let bounds = watch_bounds(client.clone(), "roll", 5);
    let floor = tokio::spawn({
        let client = client.clone();
        async move {
            let mut lowest = i32::MAX;
            loop {
                if let Ok(pods) = active_pods(&client, "roll").await {
                    let ready = pods
                        .iter()
                        .filter(|p| {
                            p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| {
                                c.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                            })
                        })
                        .count();
                    lowest = lowest.min(ready as i32);
                }
                if lowest < 3 {
                    return lowest;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    kubectl(server, &["set", "image", "deployment/roll", "c=nginx:2"])?;
    kubectl(server, &["rollout", "status", "deployment/roll", "--timeout=60s"])?;
    bounds.abort();
    let violations = bounds.await.unwrap_or_default();
    assert!(violations.is_empty(), "surge bound broken: {violations:?}");
    assert!(!floor.is_finished(), "fewer than 3 ready pods during the rollout: {:?}", floor.await);
    floor.abort();

    let after = sets(client, "roll").await?;
    assert_eq!(after.len(), 2, "one ReplicaSet per template");
    let new = after.iter().find(|rs| image_of(rs) == "nginx:2").context("new ReplicaSet")?;
    assert_eq!(spec_replicas(new), 4);
    assert!(new.name_any().starts_with("roll-"));
    assert!(after.iter().filter(|rs| image_of(rs) == "nginx:1").all(|rs| spec_replicas(rs) == 0));
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let d = deployments.get("roll").await?;
    assert_eq!(
        d.annotations().get("deployment.kubernetes.io/revision").map(String::as_str),
        Some("2")
    );
    let status = d.status.clone().unwrap_or_default();
    assert_eq!((status.updated_replicas, status.available_replicas), (Some(4), Some(4)));

    let history = kubectl(server, &["rollout", "history", "deployment/roll"])?;
    assert!(
        history.lines().any(|l| l.starts_with('1')) && history.lines().any(|l| l.starts_with('2')),
        "{history}"
    );

    kubectl(server, &["rollout", "undo", "deployment/roll"])?;
    kubectl(server, &["rollout", "status", "deployment/roll", "--timeout=60s"])?;
    let d = deployments.get("roll").await?;
    let image = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone());
    assert_eq!(image.as_deref(), Some("nginx:1"), "undo restores the previous template");
    assert_eq!(
        d.annotations().get("deployment.kubernetes.io/revision").map(String::as_str),
        Some("3")
    );
    assert_eq!(sets(client, "roll").await?.len(), 2, "undo reuses the old ReplicaSet");

    kubectl(server, &["rollout", "pause", "deployment/roll"])?;
    kubectl(server, &["set", "image", "deployment/roll", "c=nginx:3"])?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        sets(client, "roll").await?.iter().all(|rs| image_of(rs) != "nginx:3"),
        "paused: no rollout"
    );
    kubectl(server, &["rollout", "resume", "deployment/roll"])?;
    kubectl(server, &["rollout", "status", "deployment/roll", "--timeout=60s"])?;
    let rolled = sets(client, "roll").await?;
    assert!(
        rolled.iter().any(|rs| image_of(rs) == "nginx:3" && spec_replicas(rs) == 4),
        "resumed rollout"
    );

    kubectl(server, &["rollout", "restart", "deployment/roll"])?;
    kubectl(server, &["rollout", "status", "deployment/roll", "--timeout=60s"])?;
    assert_eq!(sets(client, "roll").await?.len(), 4, "restart made a new ReplicaSet");
    drop(cluster);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_cascade_in_each_propagation_mode() -> anyhow::Result<()> {
    let cluster = cluster().await?;
    let (server, client) = (&cluster.server, &cluster.client);
    for name in ["bg", "fg", "or"] {
        let path = server.scratch().join(format!("{name}.json"));
        std::fs::write(&path, deployment_manifest(name, 2, "nginx:1"))?;
        kubectl(server, &["apply", "-f", &path.display().to_string()])?;
    }
    for name in ["bg", "fg", "or"] {
        kubectl(server, &["rollout", "status", &format!("deployment/{name}"), "--timeout=60s"])?;
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");

    kubectl(server, &["delete", "deployment", "bg", "--wait=false"])?;
    eventually(20, "background cascade", || async {
        Ok((sets(client, "bg").await?.is_empty() && active_pods(client, "bg").await?.is_empty())
            .then_some(()))
    })
    .await?;

    kubectl(server, &["delete", "deployment", "fg", "--cascade=foreground", "--wait=false"])?;
    eventually(20, "foreground cascade", || async {
        if deployments.get_opt("fg").await?.is_some() {
            return Ok(None);
        }
        let left = (sets(client, "fg").await?.len(), active_pods(client, "fg").await?.len());
        assert_eq!(left, (0, 0), "the deployment went before its dependents");
        Ok(Some(()))
    })
    .await?;

    kubectl(server, &["delete", "deployment", "or", "--cascade=orphan", "--wait=false"])?;
    eventually(20, "orphaning", || async {
        Ok(deployments.get_opt("or").await?.is_none().then_some(()))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let orphans = sets(client, "or").await?;
    assert_eq!(orphans.len(), 1);
    assert!(orphans[0].owner_references().is_empty(), "{:?}", orphans[0].owner_references());
    assert_eq!(active_pods(client, "or").await?.len(), 2, "orphaned pods stay");
    drop(cluster);
    Ok(())
}
