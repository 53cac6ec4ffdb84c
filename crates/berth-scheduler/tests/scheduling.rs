//! The scheduler against a real `berth server`: nodes made by hand (the server runs no node
//! agent here), pods created through the API, `berth_scheduler::run` in this process. Pods
//! land on nodes that fit them; a pod that fits nowhere gets Kubernetes' FailedScheduling
//! event and PodScheduled condition and stays Pending; a pod whose claim is missing or unbound
//! waits, then follows its bound volume to the node the volume can reach.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use berth_testkit::BerthServer;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

const SCHEDULER: &str = "berth-test-scheduler";

async fn make_node(
    nodes: &Api<Node>,
    name: &str,
    cpu: &str,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    let mut node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {}
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        node[k]
            .as_object_mut()
            .context("object")?
            .extend(v.as_object().cloned().unwrap_or_default());
    }
    let node: Node = serde_json::from_value(node)?;
    nodes.create(&PostParams::default(), &node).await?;
    let status = json!({"status": {
        "capacity": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
        "allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ready"}]
    }});
    nodes.patch_status(name, &PatchParams::default(), &Patch::Merge(status)).await?;
    Ok(())
}

fn pod(name: &str, cpu: &str, extra: serde_json::Value) -> anyhow::Result<Pod> {
    let mut spec = json!({
        "schedulerName": SCHEDULER,
        "containers": [{"name": "c", "image": "busybox", "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}]
    });
    spec.as_object_mut().context("object")?.extend(extra.as_object().cloned().unwrap_or_default());
    Ok(serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec
    }))?)
}

async fn wait_for<T>(
    what: &str,
    mut check: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check().await? {
            return Ok(found);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_land_on_fitting_nodes_and_an_unfittable_pod_is_reported() -> anyhow::Result<()> {
    let server = BerthServer::start(&berth_testkit::berth_binary()?, &[])?;
    let client = kube::Client::try_from(kube::Config::new(server.url()?.parse()?))?;
    let nodes: Api<Node> = Api::all(client.clone());
    make_node(&nodes, "small", "2", json!({})).await?;
    make_node(&nodes, "big", "4", json!({"metadata": {"labels": {"disk": "ssd"}}})).await?;
    make_node(
        &nodes,
        "gpu",
        "8",
        json!({"spec": {"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}}),
    )
    .await?;

    let config = berth_scheduler::Config {
        scheduler_name: SCHEDULER.to_owned(),
        lease_name: SCHEDULER.to_owned(),
        ..berth_scheduler::Config::default()
    };
    let scheduler = tokio::spawn(berth_scheduler::run(client.clone(), config));

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for i in 0..8 {
        pods.create(&PostParams::default(), &pod(&format!("web-{i}"), "500m", json!({}))?).await?;
    }
    pods.create(
        &PostParams::default(),
        &pod("ssd", "100m", json!({"nodeSelector": {"disk": "ssd"}}))?,
    )
    .await?;
    pods.create(&PostParams::default(), &pod("huge", "16", json!({}))?).await?;
    pods.create(
        &PostParams::default(),
        &pod("other", "100m", json!({"schedulerName": "someone-else"}))?,
    )
    .await?;

    let placed = wait_for("9 pods bound", async || {
        let list = pods.list(&ListParams::default()).await?;
        let bound: Vec<(String, String, String)> = list
            .items
            .iter()
            .filter_map(|p| {
                let node = p.spec.as_ref()?.node_name.clone()?;
                let cpu = p.spec.as_ref()?.containers[0]
                    .resources
                    .as_ref()?
                    .requests
                    .as_ref()?
                    .get("cpu")?
                    .0
                    .clone();
                Some((p.metadata.name.clone()?, node, cpu))
            })
            .collect();
        Ok((bound.len() >= 9).then_some(bound))
    })
    .await?;
    assert_eq!(placed.len(), 9, "{placed:?}");
    let mut millis = std::collections::HashMap::<String, i64>::new();
    for (name, node, cpu) in &placed {
        assert_ne!(node, "gpu", "{name} went to the tainted node");
        if name == "ssd" {
            assert_eq!(node, "big");
        }
        *millis.entry(node.clone()).or_default() += if cpu.ends_with('m') {
            cpu.trim_end_matches('m').parse::<i64>()?
        } else {
            cpu.parse::<i64>()? * 1000
        };
    }
    assert!(millis.get("small").copied().unwrap_or(0) <= 2000, "{millis:?}");
    assert!(millis.get("big").copied().unwrap_or(0) <= 4000, "{millis:?}");
    assert!(
        millis.get("small").copied().unwrap_or(0) > 0,
        "least-allocated spreads pods: {millis:?}"
    );

    let want = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. \
                preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let event = wait_for("the FailedScheduling event", async || {
        let list = events.list(&ListParams::default()).await?;
        Ok(list.items.into_iter().find(|e| {
            e.reason.as_deref() == Some("FailedScheduling")
                && e.involved_object.name.as_deref() == Some("huge")
        }))
    })
    .await?;
    assert_eq!(event.message.as_deref(), Some(want));
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    assert_eq!(event.involved_object.kind.as_deref(), Some("Pod"));

    let huge = wait_for("the PodScheduled condition", async || {
        let pod = pods.get("huge").await?;
        let has = pod.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| {
            c.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            })
        });
        Ok(has.then_some(pod))
    })
    .await?;
    assert_eq!(huge.spec.as_ref().and_then(|s| s.node_name.clone()), None);
    let condition = huge
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"))
        .cloned();
    assert_eq!(condition.and_then(|c| c.message).as_deref(), Some(want));

    let scheduled = events.list(&ListParams::default()).await?;
    assert!(
        scheduled.items.iter().any(|e| e.reason.as_deref() == Some("Scheduled")
            && e.message
                .as_deref()
                .is_some_and(|m| m.starts_with("Successfully assigned default/web-"))),
        "no Scheduled event"
    );
    let other = pods.get("other").await?;
    assert_eq!(other.spec.and_then(|s| s.node_name), None, "a pod for another scheduler was bound");
    assert!(!scheduler.is_finished());
    scheduler.abort();
    Ok(())
}

/// Waits until the pod's PodScheduled=False condition says `want`.
async fn unschedulable_message(pods: &Api<Pod>, name: &str, want: &str) -> anyhow::Result<String> {
    wait_for(&format!("{name} to be unschedulable with {want:?}"), async || {
        let pod = pods.get(name).await?;
        let message = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled" && c.status == "False"))
            .and_then(|c| c.message.clone());
        Ok(message.filter(|m| m == want))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_keep_pods_pending_until_bound_and_pin_them_to_the_volume_node() -> anyhow::Result<()>
{
    use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
    let server = BerthServer::start(&berth_testkit::berth_binary()?, &[])?;
    let client = kube::Client::try_from(kube::Config::new(server.url()?.parse()?))?;
    let nodes: Api<Node> = Api::all(client.clone());
    for name in ["n1", "n2", "n3"] {
        make_node(&nodes, name, "4", json!({})).await?;
    }
    let config = berth_scheduler::Config {
        scheduler_name: SCHEDULER.to_owned(),
        lease_name: SCHEDULER.to_owned(),
        ..berth_scheduler::Config::default()
    };
    let scheduler = tokio::spawn(berth_scheduler::run(client.clone(), config));
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let uses = |claim: &str| json!({"volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": claim}}]});

    pods.create(&PostParams::default(), &pod("needs-data", "100m", uses("data"))?).await?;
    unschedulable_message(
        &pods,
        "needs-data",
        "0/3 nodes are available: persistentvolumeclaim \"data\" not found. \
         preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    )
    .await?;

    // An unbound claim of no class binds immediately: the pod waits for that.
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let claim = |name: &str, volume: Option<&str>| -> anyhow::Result<PersistentVolumeClaim> {
        let mut spec = json!({"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                              "resources": {"requests": {"storage": "1Gi"}}});
        if let Some(volume) = volume {
            spec["volumeName"] = json!(volume);
        }
        Ok(serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec}))?)
    };
    claims.create(&PostParams::default(), &claim("unbound", None)?).await?;
    pods.create(&PostParams::default(), &pod("needs-unbound", "100m", uses("unbound"))?).await?;
    unschedulable_message(
        &pods,
        "needs-unbound",
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. \
         preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    )
    .await?;

    // The claim appears, bound to a volume that only n2 can reach: the waiting pod goes there.
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let volume: PersistentVolume = serde_json::from_value(json!({
        "metadata": {"name": "pv-data"},
        "spec": {
            "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
            "storageClassName": "", "hostPath": {"path": "/tmp/pv-data"},
            "claimRef": {"namespace": "default", "name": "data"},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n2"]}]}]}}
        }
    }))?;
    volumes.create(&PostParams::default(), &volume).await?;
    claims.create(&PostParams::default(), &claim("data", Some("pv-data"))?).await?;
    let node = wait_for("needs-data to be bound", async || {
        let pod = pods.get("needs-data").await?;
        Ok(pod.spec.and_then(|s| s.node_name))
    })
    .await?;
    assert_eq!(node, "n2");
    assert_eq!(pods.get("needs-unbound").await?.spec.and_then(|s| s.node_name), None);
    assert!(!scheduler.is_finished());
    scheduler.abort();
    Ok(())
}
