//! Jobs, CronJobs, endpoints, namespaces, node lifecycle and service accounts against a real
//! `berth server` (the `berth` binary in the workspace's target dir: `cargo build -p berth`
//! first, or point `BERTH_BIN` at one). Each test runs only the controllers under test,
//! in-process with `Leadership::always` and short timings, and plays the kubelet itself by
//! patching pod status.

use std::time::Duration;

use anyhow::{Context as _, bail};
use berth_controllers::Config;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace, Node, Pod, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::serde::de::DeserializeOwned;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

mod common;
use common::{cluster, eventually, set_pod};

async fn create<K>(api: &Api<K>, object: Value) -> anyhow::Result<K>
where
    K: kube::Resource + Clone + DeserializeOwned + k8s_openapi::serde::Serialize + std::fmt::Debug,
{
    Ok(api.create(&PostParams::default(), &serde_json::from_value(object)?).await?)
}

fn pod_template() -> Value {
    json!({"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}})
}

#[tokio::test]
async fn a_job_with_three_completions_and_parallelism_two_completes() -> anyhow::Result<()> {
    let cluster = cluster(&["job"], Config::default()).await?;
    let client = cluster.client.clone();
    let job = create(&Api::<Job>::namespaced(client.clone(), "default"), json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi"}, "spec": {"completions": 3, "parallelism": 2, "template": pod_template()}})).await?;
    let uid = job.metadata.uid.clone().context("uid")?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let selector =
        ListParams::default().labels(&format!("batch.kubernetes.io/controller-uid={uid}"));
    let mut finished = 0;
    let mut max_active = 0;
    while finished < 3 {
        let running: Vec<Pod> = eventually(20, "job pods", || async {
            let list = pods.list(&selector).await?;
            let active: Vec<Pod> = list
                .items
                .into_iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending"))
                .collect();
            Ok(Some(active).filter(|a| !a.is_empty()))
        })
        .await?;
        max_active = max_active.max(running.len());
        for pod in &running {
            assert!(
                pod.metadata
                    .finalizers
                    .iter()
                    .flatten()
                    .any(|f| f == "batch.kubernetes.io/job-tracking")
            );
            assert_eq!(
                pod.metadata.labels.as_ref().and_then(|l| l.get("job-name")).map(String::as_str),
                Some("pi")
            );
            let name = pod.metadata.name.clone().context("name")?;
            set_pod(&pods, &name, "Succeeded", Some("10.1.0.1"), false).await?;
            finished += 1;
            // Counted pods lose their finalizer, so deleting them loses nothing.
            eventually(20, "finalizer removed", || async {
                let pod = pods.get(&name).await?;
                Ok(pod.metadata.finalizers.is_none_or(|f| f.is_empty()).then_some(()))
            })
            .await?;
            pods.delete(&name, &DeleteParams::default()).await?;
            if finished == 3 {
                break;
            }
        }
    }
    assert!(max_active <= 2, "parallelism 2, saw {max_active} pods at once");
    let job = eventually(20, "Complete", || async {
        let job = jobs.get("pi").await?;
        let complete = job
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Complete" && c.status == "True"));
        Ok(complete.then_some(job))
    })
    .await?;
    let status = job.status.context("status")?;
    assert_eq!(status.succeeded, Some(3));
    assert!(status.completion_time.is_some());
    assert!(status.conditions.iter().flatten().any(|c| c.type_ == "SuccessCriteriaMet"));
    Ok(())
}

#[tokio::test]
async fn a_cronjob_fires_every_minute_and_bad_schedules_are_refused() -> anyhow::Result<()> {
    let cluster = cluster(&["cronjob"], Config::default()).await?;
    let client = cluster.client.clone();
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), "default");
    let bad: CronJob = serde_json::from_value(json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "bad"}, "spec": {"schedule": "61 * * * *", "jobTemplate": {"spec": {"template": pod_template()}}}}))?;
    match cronjobs.create(&PostParams::default(), &bad).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 422);
            assert_eq!(status.reason, "Invalid");
            assert!(status.message.contains("spec.schedule"), "{}", status.message);
        }
        other => bail!("an invalid schedule was accepted: {other:?}"),
    }
    let mut zone = bad.clone();
    zone.spec.as_mut().context("spec")?.schedule = "* * * * *".into();
    zone.spec.as_mut().context("spec")?.time_zone = Some("Mars/Olympus".into());
    let refused = cronjobs.create(&PostParams::default(), &zone).await;
    assert!(
        matches!(&refused, Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains("spec.timeZone")),
        "{refused:?}"
    );

    create(&Api::<CronJob>::namespaced(client.clone(), "default"), json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "tick"}, "spec": {"schedule": "*/1 * * * *", "timeZone": "Europe/Berlin",
        "jobTemplate": {"spec": {"template": pod_template()}}}})).await?;
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let job = eventually(75, "the first scheduled job", || async {
        Ok(jobs.list(&ListParams::default()).await?.items.into_iter().next())
    })
    .await?;
    let name = job.metadata.name.clone().context("name")?;
    let stamp = job
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("batch.kubernetes.io/cronjob-scheduled-timestamp"))
        .context("annotation")?;
    let scheduled: Timestamp = stamp.parse()?;
    assert_eq!(scheduled.as_second() % 60, 0);
    assert_eq!(name, format!("tick-{}", scheduled.as_second() / 60));
    let cronjob = eventually(10, "status", || async {
        let cj = cronjobs.get("tick").await?;
        Ok(cj
            .status
            .clone()
            .filter(|s| s.last_schedule_time.is_some() && s.active.is_some())
            .map(|_| cj))
    })
    .await?;
    let status = cronjob.status.context("status")?;
    assert_eq!(status.last_schedule_time.map(|t| t.0), Some(scheduled));
    Ok(())
}

#[tokio::test]
async fn endpoints_follow_pod_readiness() -> anyhow::Result<()> {
    let cluster = cluster(&["endpoints", "endpointslice"], Config::default()).await?;
    let client = cluster.client.clone();
    let service = create(
        &Api::<Service>::namespaced(client.clone(), "default"),
        json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
    )
    .await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for (name, port) in [("web-a", 8080), ("web-b", 9090)] {
        create(&Api::<Pod>::namespaced(client.clone(), "default"), json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "web"}}, "spec": {"nodeName": "n1",
            "containers": [{"name": "c", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": port}]}]}})).await?;
    }
    set_pod(&pods, "web-a", "Running", Some("10.1.0.1"), true).await?;
    set_pod(&pods, "web-b", "Running", Some("10.1.0.2"), false).await?;
    let endpoints: Api<Endpoints> = Api::namespaced(client.clone(), "default");
    let summary = |ep: &Endpoints| {
        let mut ready = Vec::new();
        let mut not_ready = Vec::new();
        for s in ep.subsets.iter().flatten() {
            let port = s.ports.iter().flatten().map(|p| p.port).next().unwrap_or(0);
            ready.extend(s.addresses.iter().flatten().map(|a| format!("{}:{port}", a.ip)));
            not_ready
                .extend(s.not_ready_addresses.iter().flatten().map(|a| format!("{}:{port}", a.ip)));
        }
        (ready, not_ready)
    };
    eventually(20, "one ready, one not", || async {
        let Some(ep) = endpoints.get_opt("web").await? else { return Ok(None) };
        Ok((summary(&ep) == (vec!["10.1.0.1:8080".to_owned()], vec!["10.1.0.2:9090".to_owned()]))
            .then_some(()))
    })
    .await?;
    set_pod(&pods, "web-b", "Running", Some("10.1.0.2"), true).await?;
    eventually(20, "both ready", || async {
        let ep = endpoints.get("web").await?;
        Ok((summary(&ep).0.len() == 2).then_some(()))
    })
    .await?;
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), "default");
    let by_service = ListParams::default().labels("kubernetes.io/service-name=web");
    // The two pods serve the named port on different numbers: one slice per port set.
    let found = eventually(20, "endpointslices with both ready", || async {
        let list = slices.list(&by_service).await?;
        let ready = list
            .items
            .iter()
            .flat_map(|s| &s.endpoints)
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) == Some(true))
            .count();
        Ok((ready == 2).then_some(list.items))
    })
    .await?;
    assert_eq!(found.len(), 2);
    for slice in &found {
        assert_eq!(slice.address_type, "IPv4");
        assert_eq!(
            slice.metadata.owner_references.iter().flatten().next().map(|o| o.uid.clone()),
            service.metadata.uid
        );
        let managed = slice
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("endpointslice.kubernetes.io/managed-by"));
        assert_eq!(managed.map(String::as_str), Some("endpointslice-controller.k8s.io"));
    }
    Api::<Service>::namespaced(client.clone(), "default")
        .delete("web", &DeleteParams::default())
        .await?;
    eventually(20, "endpoints gone with the service", || async {
        Ok(endpoints.get_opt("web").await?.is_none().then_some(()))
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn deleting_a_namespace_removes_its_contents_then_itself_and_new_ones_get_a_service_account()
-> anyhow::Result<()> {
    let cluster = cluster(&["namespace", "serviceaccount"], Config::default()).await?;
    let client = cluster.client.clone();
    create(
        &Api::<Namespace>::all(client.clone()),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}}),
    )
    .await?;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "doomed");
    eventually(20, "a default service account", || async {
        Ok(accounts.get_opt("default").await?)
    })
    .await?;
    accounts.delete("default", &DeleteParams::default()).await?;
    eventually(20, "the default service account back", || async {
        Ok(accounts.get_opt("default").await?.filter(|sa| sa.metadata.deletion_timestamp.is_none()))
    })
    .await?;
    create(
        &Api::<ConfigMap>::namespaced(client.clone(), "doomed"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
    )
    .await?;
    create(
        &Api::<Pod>::namespaced(client.clone(), "doomed"),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}),
    )
    .await?;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces.delete("doomed", &DeleteParams::default()).await?;
    eventually(30, "the namespace gone", || async {
        Ok(namespaces.get_opt("doomed").await?.is_none().then_some(()))
    })
    .await?;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "doomed");
    assert!(maps.list(&ListParams::default()).await?.items.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_node_with_a_stale_lease_is_tainted_and_its_pods_evicted() -> anyhow::Result<()> {
    let config = Config {
        node_monitor_grace_period: Duration::from_secs(2),
        node_monitor_period: Duration::from_millis(200),
        ..Config::default()
    };
    let cluster = cluster(&["nodelifecycle"], config).await?;
    let client = cluster.client.clone();
    create(
        &Api::<Node>::all(client.clone()),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
    )
    .await?;
    let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    create(&Api::<Lease>::namespaced(client.clone(), "kube-node-lease"), json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "n1"}, "spec": {"holderIdentity": "n1", "renewTime": Timestamp::now().to_string()}})).await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    create(&Api::<Pod>::namespaced(client.clone(), "default"), json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "short"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox:1.36"}], "tolerations": [
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}]}})).await?;
    create(
        &Api::<Pod>::namespaced(client.clone(), "default"),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "patient"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox:1.36"}]}}),
    )
    .await?;
    set_pod(&pods, "patient", "Running", Some("10.1.0.9"), true).await?;
    let nodes: Api<Node> = Api::all(client.clone());
    let ready_of = |node: &Node| {
        node.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
            .map(|c| (c.status.clone(), c.reason.clone().unwrap_or_default()))
    };
    let taint_keys = |node: &Node| {
        node.spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect::<Vec<_>>()
    };
    let node = eventually(20, "Ready=Unknown", || async {
        let node = nodes.get("n1").await?;
        Ok((ready_of(&node) == Some(("Unknown".into(), "NodeStatusUnknown".into())))
            .then_some(node))
    })
    .await?;
    let node = eventually(10, "the unreachable taints", || async {
        let node = nodes.get("n1").await?;
        Ok(taint_keys(&node)
            .contains(&"node.kubernetes.io/unreachable:NoExecute".to_owned())
            .then_some(node))
    })
    .await
    .unwrap_or(node);
    assert!(taint_keys(&node).contains(&"node.kubernetes.io/unreachable:NoSchedule".to_owned()));
    eventually(20, "the patient pod not ready", || async {
        let pod = pods.get("patient").await?;
        Ok((!pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True")))
        .then_some(()))
    })
    .await?;
    // 2 s of toleration: gone soon; the default 300 s: still there.
    eventually(20, "the short-tolerating pod evicted", || async {
        Ok(pods
            .get_opt("short")
            .await?
            .is_none_or(|p| p.metadata.deletion_timestamp.is_some())
            .then_some(()))
    })
    .await?;
    let patient = pods.get("patient").await?;
    assert!(patient.metadata.deletion_timestamp.is_none());
    assert!(
        patient
            .spec
            .iter()
            .flat_map(|s| s.tolerations.iter().flatten())
            .any(|t| t.toleration_seconds == Some(300))
    );
    // The kubelet comes back.
    let renew = json!({"spec": {"renewTime": Timestamp::now().to_string()}});
    leases.patch("n1", &PatchParams::default(), &Patch::Merge(&renew)).await?;
    eventually(20, "taints removed and Ready again", || async {
        let node = nodes.get("n1").await?;
        Ok((taint_keys(&node).is_empty() && ready_of(&node).is_some_and(|r| r.0 == "True"))
            .then_some(()))
    })
    .await?;
    // A pod bound to a node that does not exist is removed.
    create(
        &Api::<Pod>::namespaced(client.clone(), "default"),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orphan"},
        "spec": {"nodeName": "gone", "containers": [{"name": "c", "image": "busybox:1.36"}]}}),
    )
    .await?;
    eventually(20, "the orphaned pod deleted", || async {
        Ok(pods
            .get_opt("orphan")
            .await?
            .is_none_or(|p| p.metadata.deletion_timestamp.is_some())
            .then_some(()))
    })
    .await?;
    Ok(())
}
