//! StatefulSets, DaemonSets and local volumes against a real `berth server`.
//!
//! Each test starts the server (the `berth` binary in the workspace's target dir: build it
//! with `cargo build -p berth` first, or point `BERTH_BIN` at one), runs only the controllers
//! under test in-process with `Leadership::always`, and plays scheduler and kubelet itself:
//! binds pending pods with `pods/binding`, marks bound pods Running and Ready (once their
//! claims are Bound, as a kubelet waits for its volumes), and removes pods being deleted.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use berth_controllers::Config;
use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;
use common::{cluster, eventually, set_pod};

const MINE: &[&str] =
    &["statefulset", "daemonset", "persistentvolume-binder", "local-path-provisioner"];

async fn add_node(client: &kube::Client, name: &str) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node = json!({"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}});
    nodes.create(&PostParams::default(), &serde_json::from_value(node)?).await?;
    let status = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
    nodes.patch_status(name, &PatchParams::default(), &Patch::Merge(status)).await?;
    Ok(())
}

/// What the fake kubelet did, in order: "seen <pod>", "ready <pod>".
type Log = Arc<Mutex<Vec<String>>>;

fn events(log: &Log) -> Vec<String> {
    log.lock().map(|l| l.clone()).unwrap_or_default()
}

/// Scheduler and kubelet for `namespace`: binds unbound pods (to the node a daemon pod is
/// pinned to, else to `nodes` by ordinal), marks pods Ready one poll after first seeing them
/// once their claims are Bound, and finishes deleting terminating pods.
fn kubelet(
    client: kube::Client,
    namespace: &str,
    nodes: Vec<String>,
) -> (Log, tokio::task::JoinHandle<()>) {
    let log: Log = Arc::default();
    let record = log.clone();
    let namespace = namespace.to_owned();
    let task = tokio::spawn(async move {
        let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
        let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &namespace);
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        loop {
            let _ = step(&pods, &claims, &nodes, &mut seen, &record).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    (log, task)
}

async fn step(
    pods: &Api<Pod>,
    claims: &Api<PersistentVolumeClaim>,
    nodes: &[String],
    seen: &mut BTreeMap<String, u32>,
    log: &Log,
) -> anyhow::Result<()> {
    let bound: BTreeMap<String, String> = claims
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|c| c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound"))
        .filter_map(|c| Some((c.metadata.name?, String::new())))
        .collect();
    for pod in pods.list(&ListParams::default()).await?.items {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            let _ = pods
                .delete(
                    &name,
                    &DeleteParams { grace_period_seconds: Some(0), ..Default::default() },
                )
                .await;
            continue;
        }
        let polls = seen.entry(name.clone()).or_insert_with(|| {
            if let Ok(mut l) = log.lock() {
                l.push(format!("seen {name}"));
            }
            0
        });
        *polls += 1;
        if spec.node_name.is_none() {
            let target = pinned(&spec).or_else(|| {
                let ordinal: usize = name.rsplit('-').next()?.parse().ok()?;
                nodes.get(ordinal % nodes.len().max(1)).cloned()
            });
            let Some(node) = target else { continue };
            let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}});
            pods.create_subresource::<serde_json::Value, serde_json::Value>(
                "binding",
                &name,
                &PostParams::default(),
                &binding,
            )
            .await?;
            continue;
        }
        let running = pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        let volumes_ready = spec.volumes.iter().flatten().all(|v| {
            v.persistent_volume_claim.as_ref().is_none_or(|c| bound.contains_key(&c.claim_name))
        });
        if !running && *polls >= 2 && volumes_ready {
            set_pod(pods, &name, "Running", None, true).await?;
            if let Ok(mut l) = log.lock() {
                l.push(format!("ready {name}"));
            }
        }
    }
    Ok(())
}

fn pinned(spec: &k8s_openapi::api::core::v1::PodSpec) -> Option<String> {
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    terms.iter().find_map(|t| t.match_fields.as_ref()?.first()?.values.as_ref()?.first().cloned())
}

fn revision_of(pod: &Pod) -> String {
    pod.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("controller-revision-hash"))
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_comes_up_in_order_on_local_volumes_and_rolls_above_the_partition()
-> anyhow::Result<()> {
    let cluster = cluster(MINE, Config::default()).await?;
    let (server, client) = (&cluster.server, cluster.client.clone());
    for node in ["n1", "n2"] {
        add_node(&client, node).await?;
    }
    let (log, kubelet) = kubelet(client.clone(), "default", vec!["n1".into(), "n2".into()]);
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let set = json!({
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 3, "serviceName": "web",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
        }
    });
    sets.create(&PostParams::default(), &serde_json::from_value(set)?).await?;
    eventually(90, "3 ready replicas", || async {
        let s = sets.get_status("web").await?.status.unwrap_or_default();
        Ok((s.ready_replicas == Some(3)).then_some(()))
    })
    .await
    .with_context(|| format!("kubelet log {:?}\nserver log:\n{}", events(&log), server.log()))?;

    // In order: web-i appeared only after web-(i-1) was ready.
    let history = events(&log);
    let at = |e: &str| history.iter().position(|x| x == e);
    for i in 1..3 {
        let (ready, seen) = (at(&format!("ready web-{}", i - 1)), at(&format!("seen web-{i}")));
        assert!(
            ready.is_some() && ready < seen,
            "web-{i} before web-{} was ready: {history:?}",
            i - 1
        );
    }
    // Each claim is bound to a provisioned volume pinned to its pod's node.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    for i in 0..3 {
        let pod = pods.get(&format!("web-{i}")).await?;
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get("statefulset.kubernetes.io/pod-name"), Some(&format!("web-{i}")));
        assert_eq!(labels.get("apps.kubernetes.io/pod-index"), Some(&i.to_string()));
        let claim = claims.get(&format!("data-web-{i}")).await?;
        assert_eq!(claim.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Bound"));
        assert_eq!(
            claim.spec.as_ref().and_then(|s| s.storage_class_name.as_deref()),
            Some("local-path")
        );
        let uid = claim.metadata.uid.clone().unwrap_or_default();
        assert_eq!(
            claim.spec.as_ref().and_then(|s| s.volume_name.clone()),
            Some(format!("pvc-{uid}"))
        );
        let volume = volumes.get(&format!("pvc-{uid}")).await?;
        let spec = volume.spec.clone().unwrap_or_default();
        assert_eq!(
            spec.host_path.map(|h| h.path),
            Some(format!("/var/lib/berth/storage/pvc-{uid}"))
        );
        let pinned_to = spec
            .node_affinity
            .and_then(|a| a.required)
            .map(|r| r.node_selector_terms)
            .and_then(|t| t.first()?.match_expressions.clone()?.first()?.values.clone());
        let node = pod.spec.and_then(|s| s.node_name).unwrap_or_default();
        assert_eq!(pinned_to, Some(vec![node]), "web-{i}'s volume follows its node");
        assert_eq!(volume.status.and_then(|s| s.phase), Some("Bound".to_owned()));
    }

    // A rolling update with partition 2 replaces web-2 only.
    let mut before = Vec::new();
    for i in 0..3 {
        before.push(pods.get(&format!("web-{i}")).await?);
    }
    let patch = json!({"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
        "template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}});
    sets.patch("web", &PatchParams::default(), &Patch::Merge(patch)).await?;
    let status = eventually(60, "web-2 updated and ready", || async {
        let s = sets.get_status("web").await?.status.unwrap_or_default();
        let web2 = pods.get_opt("web-2").await?;
        let updated = web2.as_ref().is_some_and(|p| {
            Some(revision_of(p)) == s.update_revision
                && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
        });
        Ok((updated && s.ready_replicas == Some(3) && s.updated_replicas == Some(1)).then_some(s))
    })
    .await
    .with_context(|| format!("kubelet log {:?}", events(&log)))?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (i, old) in before.iter().enumerate().take(2) {
        let pod = pods.get(&format!("web-{i}")).await?;
        assert_eq!(pod.metadata.uid, old.metadata.uid, "web-{i} below the partition is untouched");
        assert_eq!(Some(revision_of(&pod)), status.current_revision);
    }
    assert_ne!(status.current_revision, status.update_revision);
    let web2 = pods.get("web-2").await?;
    let image = web2.spec.and_then(|s| s.containers.first()?.image.clone());
    assert_eq!(image.as_deref(), Some("nginx:2"));
    kubelet.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemonset_runs_one_pod_per_node_and_follows_nodes() -> anyhow::Result<()> {
    let cluster = cluster(MINE, Config::default()).await?;
    let (server, client) = (&cluster.server, cluster.client.clone());
    for node in ["n1", "n2"] {
        add_node(&client, node).await?;
    }
    let (log, kubelet) = kubelet(client.clone(), "default", Vec::new());
    let sets: Api<DaemonSet> = Api::namespaced(client.clone(), "default");
    let set = json!({
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}},
                         "spec": {"containers": [{"name": "c", "image": "agent:1"}]}}
        }
    });
    sets.create(&PostParams::default(), &serde_json::from_value(set)?).await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let nodes_of = || async {
        let mut on: Vec<String> = pods
            .list(&ListParams::default())
            .await?
            .items
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter_map(|p| p.spec?.node_name)
            .collect();
        on.sort();
        anyhow::Ok(on)
    };
    let want = |nodes: &'static [&'static str]| {
        let nodes_of = &nodes_of;
        let sets = &sets;
        async move {
            eventually(60, &format!("daemon pods on {nodes:?}"), || async move {
                let on = nodes_of().await?;
                let s = sets.get_status("agent").await?.status.unwrap_or_default();
                let done = on == nodes
                    && s.desired_number_scheduled == nodes.len() as i32
                    && s.number_ready == nodes.len() as i32;
                Ok(done.then_some(()))
            })
            .await
        }
    };
    want(&["n1", "n2"]).await.with_context(|| format!("{:?}\n{}", events(&log), server.log()))?;
    add_node(&client, "n3").await?;
    want(&["n1", "n2", "n3"]).await.with_context(|| format!("{:?}", events(&log)))?;
    Api::<Node>::all(client.clone()).delete("n2", &DeleteParams::default()).await?;
    want(&["n1", "n3"]).await.with_context(|| format!("{:?}", events(&log)))?;
    let s = sets.get_status("agent").await?.status.unwrap_or_default();
    assert_eq!((s.current_number_scheduled, s.updated_number_scheduled), (2, Some(2)));
    assert_eq!(s.number_misscheduled, 0);
    kubelet.abort();
    Ok(())
}
