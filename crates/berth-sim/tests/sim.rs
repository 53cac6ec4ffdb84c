//! Simulated nodes against a real `berth server`: nodes register Ready, Leases are renewed,
//! bound pods run (with addresses), finish when annotated, go when deleted, and a stopped node
//! falls silent.
//!
//! The server binary is `target/<profile>/berth` beside this test (`cargo test --workspace`
//! builds it; alone, run `cargo build -p berth` first) or `$BERTH_BIN`.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use berth_sim::{Config, Handle};
use berth_testkit::BerthServer;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

struct Cluster {
    server: BerthServer,
    client: Client,
}

fn cluster() -> anyhow::Result<Cluster> {
    let server = BerthServer::start(&berth_testkit::berth_binary()?, &[])?;
    let config = kube::Config::new(server.url()?.parse()?);
    let client = Client::try_from(config)?;
    Ok(Cluster { server, client })
}

async fn sim(client: &Client, count: usize) -> anyhow::Result<Handle> {
    let config = Config { count, lease_interval: Duration::from_millis(300), ..Config::default() };
    Ok(berth_sim::start(client.clone(), config).await?)
}

/// Polls `check` every 50 ms until it gives `Some`, for at most `secs`.
async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("{what}: not within {secs} s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn pod(
    name: &str,
    node: &str,
    annotations: serde_json::Value,
    restart: &str,
) -> anyhow::Result<Pod> {
    Ok(serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"nodeName": node, "restartPolicy": restart,
                 "containers": [{"name": "app", "image": "registry.example/app:1"}]},
    }))?)
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or_default()
}

fn renew_time(lease: &Lease) -> Option<Timestamp> {
    lease.spec.as_ref()?.renew_time.as_ref().map(|t| t.0)
}

async fn pod_in_phase(pods: &Api<Pod>, name: &str, want: &str, secs: u64) -> anyhow::Result<Pod> {
    eventually(secs, &format!("pod {name} {want}"), || async {
        let pod = pods.get(name).await?;
        Ok((phase(&pod) == want).then_some(pod))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_register_ready_and_renew_their_leases() -> anyhow::Result<()> {
    let cluster = cluster()?;
    let handle = sim(&cluster.client, 3).await?;
    let nodes: Api<Node> = Api::all(cluster.client.clone());
    for (index, name) in ["sim-node-0", "sim-node-1", "sim-node-2"].into_iter().enumerate() {
        let node = nodes.get(name).await?;
        let labels = node.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels.get("type").map(String::as_str), Some("sim"));
        assert_eq!(labels.get("kubernetes.io/hostname").map(String::as_str), Some(name));
        let spec = node.spec.clone().unwrap_or_default();
        assert_eq!(spec.pod_cidr, Some(format!("198.18.{index}.0/24")));
        let status = node.status.clone().unwrap_or_default();
        let ready = status.conditions.iter().flatten().find(|c| c.type_ == "Ready");
        assert_eq!(ready.map(|c| c.status.as_str()), Some("True"), "{name}");
        let cpu = status.allocatable.as_ref().and_then(|a| a.get("cpu")).map(|q| q.0.as_str());
        assert_eq!(cpu, Some("32"));
    }
    let leases: Api<Lease> = Api::namespaced(cluster.client.clone(), "kube-node-lease");
    let first = renew_time(&leases.get("sim-node-1").await?).context("renewTime")?;
    eventually(5, "lease renewed", || async {
        let now = renew_time(&leases.get("sim-node-1").await?);
        Ok(now.filter(|t| *t > first))
    })
    .await?;

    // Node loss: the stopped node's Lease stops moving, the others go on.
    assert!(handle.stop_node("sim-node-2"));
    assert!(!handle.stop_node("not-ours"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let stopped = renew_time(&leases.get("sim-node-2").await?);
    let alive = renew_time(&leases.get("sim-node-0").await?);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(renew_time(&leases.get("sim-node-2").await?), stopped, "a stopped node renewed");
    assert!(renew_time(&leases.get("sim-node-0").await?) > alive, "a live node stopped renewing");

    // Its pods are not touched any more.
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    pods.create(&PostParams::default(), &pod("orphan", "sim-node-2", json!({}), "Always")?).await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(phase(&pods.get("orphan").await?), "Pending");

    // Dropping the handle is the loss of every node.
    drop(handle);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let last = renew_time(&leases.get("sim-node-0").await?);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(renew_time(&leases.get("sim-node-0").await?), last, "renewed after the drop");
    drop(cluster.server);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_run_complete_and_go_when_deleted() -> anyhow::Result<()> {
    let cluster = cluster()?;
    let _handle = sim(&cluster.client, 3).await?;
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");

    pods.create(&PostParams::default(), &pod("web", "sim-node-1", json!({}), "Always")?).await?;
    let web = pod_in_phase(&pods, "web", "Running", 10).await?;
    let status = web.status.clone().unwrap_or_default();
    let pod_ip = status.pod_ip.clone().unwrap_or_default();
    assert!(pod_ip.starts_with("198.18.1."), "pod IP {pod_ip}");
    assert_eq!(status.host_ip.as_deref(), Some("192.0.2.2"));
    for type_ in ["PodScheduled", "Initialized", "ContainersReady", "Ready"] {
        let condition = status.conditions.iter().flatten().find(|c| c.type_ == type_);
        assert_eq!(condition.map(|c| c.status.as_str()), Some("True"), "{type_}");
    }
    let container = &status.container_statuses.clone().unwrap_or_default()[0];
    assert!(container.ready && container.state.as_ref().and_then(|s| s.running.as_ref()).is_some());

    // A pod that asks to complete finishes; one that asks to fail fails.
    let job = pod("job", "sim-node-0", json!({"sim.berth.dev/complete-after": "1s"}), "Never")?;
    pods.create(&PostParams::default(), &job).await?;
    let bad = pod("bad", "sim-node-0", json!({"sim.berth.dev/fail-after": "500ms"}), "Never")?;
    pods.create(&PostParams::default(), &bad).await?;
    pod_in_phase(&pods, "job", "Running", 10).await?;
    pod_in_phase(&pods, "job", "Succeeded", 10).await?;
    pod_in_phase(&pods, "bad", "Failed", 10).await?;

    // The ready annotation flips readiness of a running pod, both ways.
    let annotate =
        |value: &str| json!({"metadata": {"annotations": {"sim.berth.dev/ready": value}}});
    let ready_of = |pod: &Pod| {
        let conditions = pod.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
        conditions.into_iter().find(|c| c.type_ == "Ready").map(|c| c.status)
    };
    for (value, want) in [("false", "False"), ("true", "True")] {
        let patch = kube::api::Patch::Merge(annotate(value));
        pods.patch("web", &Default::default(), &patch).await?;
        eventually(10, &format!("web Ready={want}"), || async {
            let pod = pods.get("web").await?;
            Ok((ready_of(&pod).as_deref() == Some(want)).then_some(()))
        })
        .await?;
    }

    // Deleted with the default grace period: the node finishes the deletion.
    pods.delete("web", &DeleteParams::default()).await?;
    eventually(10, "web deleted", || async {
        Ok(pods.get_opt("web").await?.is_none().then_some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_pods_bound_at_once_all_run() -> anyhow::Result<()> {
    const PODS: usize = 300;
    let cluster = cluster()?;
    let _handle = sim(&cluster.client, 3).await?;
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    let started = Instant::now();
    let creates = (0..PODS).map(|i| {
        let pods = pods.clone();
        async move {
            let pod = pod(&format!("p{i}"), &format!("sim-node-{}", i % 3), json!({}), "Always")?;
            pods.create(&PostParams::default(), &pod).await?;
            anyhow::Ok(())
        }
    });
    for result in futures_util::future::join_all(creates).await {
        result?;
    }
    let created = started.elapsed();
    eventually(30, "all pods running", || async {
        let list = pods.list(&Default::default()).await?;
        let running = list.items.iter().filter(|p| phase(p) == "Running").count();
        Ok((running == PODS).then_some(()))
    })
    .await?;
    eprintln!("{PODS} pods created in {created:?}, all running after {:?}", started.elapsed());
    // Every running pod has its own address on its node.
    let list = pods.list(&Default::default()).await?;
    let mut ips: Vec<_> =
        list.items.iter().filter_map(|p| p.status.as_ref()?.pod_ip.clone()).collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), PODS);
    Ok(())
}
