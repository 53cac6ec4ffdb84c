//! Black-box: the scheduler and the controllers of a real `berth server`, on simulated nodes,
//! driven by the real kubectl: rollouts, stateful sets, daemon sets, jobs, cron jobs, cascading
//! deletes, cordon/drain, node loss, namespace deletion, a restart mid-rollout, and preemption
//! driven by PriorityClasses.

// These tests drive processes, not an async runtime: blocking sleeps are what they need.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use berth_testkit::BerthServer;
use common::{cluster_server as server, fails, json, ok, write};
use serde_json::Value;

/// A server with three simulated nodes and short node-loss timings.
fn cluster() -> BerthServer {
    server(&[
        "--sim-nodes",
        "3",
        "--node-monitor-grace-period",
        "6s",
        "--default-not-ready-toleration",
        "2s",
    ])
}

/// Polls `check` every 200 ms until it returns true; fails the test after `limit`.
fn eventually(server: &BerthServer, what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < limit,
            "{what}: not within {limit:?}\nserver log:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn items(server: &BerthServer, args: &[&str]) -> Vec<Value> {
    json(server, args)["items"].as_array().cloned().unwrap_or_default()
}

/// Pods with `selector`, not being deleted: (name, node, image of the first container, ready).
fn pods(server: &BerthServer, selector: &str) -> Vec<(String, String, String, bool)> {
    items(server, &["get", "pods", "-l", selector])
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| {
            let ready = p["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
            (
                p["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
                p["spec"]["nodeName"].as_str().unwrap_or_default().to_owned(),
                p["spec"]["containers"][0]["image"].as_str().unwrap_or_default().to_owned(),
                ready,
            )
        })
        .collect()
}

fn rollout_status(server: &BerthServer, what: &str) -> String {
    ok(server, &["rollout", "status", what, "--timeout=90s"])
}

#[test]
fn deployment_rolls_out_updates_rolls_back_pauses_resumes_and_scales() {
    let server = cluster();
    ok(&server, &["create", "deployment", "web", "--image=registry.local/web:1", "--replicas=3"]);
    let done = rollout_status(&server, "deployment/web");
    assert!(done.contains("successfully rolled out"), "{done}");
    let running = pods(&server, "app=web");
    assert_eq!(running.len(), 3, "{running:?}");
    assert!(running.iter().all(|(_, node, _, ready)| node.starts_with("sim-node-") && *ready));

    ok(&server, &["set", "image", "deployment/web", "web=registry.local/web:2"]);
    rollout_status(&server, "deployment/web");
    eventually(&server, "three pods of the new image", Duration::from_secs(30), || {
        let now = pods(&server, "app=web");
        now.len() == 3 && now.iter().all(|(_, _, image, _)| image == "registry.local/web:2")
    });
    let history = ok(&server, &["rollout", "history", "deployment/web"]);
    assert!(history.contains('1') && history.contains('2'), "{history}");

    ok(&server, &["rollout", "undo", "deployment/web"]);
    rollout_status(&server, "deployment/web");
    eventually(&server, "the previous image back", Duration::from_secs(30), || {
        let now = pods(&server, "app=web");
        now.len() == 3 && now.iter().all(|(_, _, image, _)| image == "registry.local/web:1")
    });

    ok(&server, &["rollout", "pause", "deployment/web"]);
    ok(&server, &["set", "image", "deployment/web", "web=registry.local/web:3"]);
    std::thread::sleep(Duration::from_secs(3));
    let paused = pods(&server, "app=web");
    assert!(
        paused.iter().all(|(_, _, image, _)| image == "registry.local/web:1"),
        "a paused deployment rolled out: {paused:?}"
    );
    ok(&server, &["rollout", "resume", "deployment/web"]);
    rollout_status(&server, "deployment/web");
    eventually(&server, "the resumed rollout", Duration::from_secs(30), || {
        let now = pods(&server, "app=web");
        now.len() == 3 && now.iter().all(|(_, _, image, _)| image == "registry.local/web:3")
    });

    ok(&server, &["scale", "deployment/web", "--replicas=5"]);
    eventually(&server, "five ready pods", Duration::from_secs(30), || {
        let now = pods(&server, "app=web");
        now.len() == 5 && now.iter().all(|(_, _, _, ready)| *ready)
    });
    let before: BTreeSet<String> = pods(&server, "app=web").into_iter().map(|p| p.0).collect();
    ok(&server, &["rollout", "restart", "deployment/web"]);
    rollout_status(&server, "deployment/web");
    eventually(&server, "five fresh pods after a restart", Duration::from_secs(30), || {
        let now = pods(&server, "app=web");
        now.len() == 5 && now.iter().all(|(name, _, _, ready)| *ready && !before.contains(name))
    });
}

const STATEFULSET: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: registry.local/db:1
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
";

#[test]
fn statefulset_comes_up_in_order_with_its_volumes() {
    let server = cluster();
    let path = write(&server, "sts.yaml", STATEFULSET);
    ok(&server, &["apply", "-f", &path]);
    rollout_status(&server, "statefulset/db");
    let names: Vec<String> = pods(&server, "app=db").into_iter().map(|p| p.0).collect();
    assert_eq!(names, ["db-0", "db-1", "db-2"]);
    // Ordered: each pod was created only after the one before it was Ready.
    let all = items(&server, &["get", "pods", "-l", "app=db"]);
    for pair in all.windows(2) {
        let ready_at = pair[0]["status"]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
            .and_then(|c| c["lastTransitionTime"].as_str())
            .unwrap_or_default()
            .to_owned();
        let created = pair[1]["metadata"]["creationTimestamp"].as_str().unwrap_or_default();
        assert!(created >= ready_at.as_str(), "{created} before {ready_at}");
    }
    for (ordinal, pod) in all.iter().enumerate() {
        let claim = format!("data-db-{ordinal}");
        let mut volume = String::new();
        eventually(&server, &format!("claim {claim} bound"), Duration::from_secs(30), || {
            let pvc = json(&server, &["get", "pvc", &claim]);
            volume = pvc["spec"]["volumeName"].as_str().unwrap_or_default().to_owned();
            pvc["status"]["phase"] == "Bound"
        });
        let pv = json(&server, &["get", "pv", &volume]);
        let pinned = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
            ["values"][0]
            .clone();
        assert_eq!(pinned, pod["spec"]["nodeName"], "the volume is pinned to the pod's node");
    }
}

const DAEMONSET: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: registry.local/agent:1}]
";

/// `berth sim nodes` as a separate process, against the server's kubeconfig.
fn sim_nodes(server: &BerthServer, prefix: &str, count: usize) -> Child {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["sim", "nodes", "--count", &count.to_string(), "--name-prefix", prefix])
        .args(["--heartbeat", "1s", "--kubeconfig"])
        .arg(server.kubeconfig())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start berth sim nodes")
}

struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn daemonset_follows_nodes_joining_and_leaving() {
    let server = cluster();
    let path = write(&server, "ds.yaml", DAEMONSET);
    ok(&server, &["apply", "-f", &path]);
    let nodes_of = |server: &BerthServer| -> BTreeSet<String> {
        pods(server, "app=agent").into_iter().filter(|p| p.3).map(|p| p.1).collect()
    };
    eventually(&server, "one agent per node", Duration::from_secs(30), || {
        nodes_of(&server).len() == 3
    });
    let mut extra = Reaped(sim_nodes(&server, "extra-", 1));
    eventually(&server, "an agent on the new node", Duration::from_secs(30), || {
        nodes_of(&server).contains("extra-0") && pods(&server, "app=agent").len() == 4
    });
    // The node leaves: its agent stops (a live one would register it again, as a kubelet does)
    // and the Node is deleted.
    let _ = extra.0.kill();
    let _ = extra.0.wait();
    ok(&server, &["delete", "node", "extra-0"]);
    eventually(&server, "the agent of the removed node gone", Duration::from_secs(30), || {
        pods(&server, "app=agent").len() == 3 && !nodes_of(&server).contains("extra-0")
    });
}

const JOB: &str = "apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 3
  parallelism: 2
  template:
    metadata:
      annotations: {sim.berth.dev/complete-after: 1s}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: registry.local/work:1}]
";

const CRONJOB: &str = "apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: '* * * * *'
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: {sim.berth.dev/complete-after: 1s}
        spec:
          restartPolicy: Never
          containers: [{name: tick, image: registry.local/tick:1}]
";

#[test]
fn a_job_completes_and_a_cronjob_fires() {
    let server = cluster();
    let job = write(&server, "job.yaml", JOB);
    ok(&server, &["apply", "-f", &job]);
    ok(&server, &["wait", "--for=condition=complete", "job/batch", "--timeout=60s"]);
    assert_eq!(json(&server, &["get", "job", "batch"])["status"]["succeeded"], 3);

    let cron = write(&server, "cron.yaml", CRONJOB);
    ok(&server, &["apply", "-f", &cron]);
    eventually(&server, "a job from the cronjob", Duration::from_secs(75), || {
        items(&server, &["get", "jobs"]).iter().any(|j| {
            j["metadata"]["ownerReferences"][0]["name"] == "tick"
                && j["status"]["succeeded"].as_i64() == Some(1)
        })
    });
    assert!(json(&server, &["get", "cronjob", "tick"])["status"]["lastScheduleTime"].is_string());
}

#[test]
fn delete_cascades_as_each_mode_says() {
    let server = cluster();
    for name in ["bg", "fg", "keep"] {
        ok(
            &server,
            &["create", "deployment", name, "--image=registry.local/web:1", "--replicas=2"],
        );
        rollout_status(&server, &format!("deployment/{name}"));
    }
    ok(&server, &["delete", "deployment", "bg", "--cascade=background"]);
    eventually(&server, "background: replica set and pods gone", Duration::from_secs(30), || {
        items(&server, &["get", "rs", "-l", "app=bg"]).is_empty()
            && pods(&server, "app=bg").is_empty()
    });
    ok(
        &server,
        &["delete", "deployment", "fg", "--cascade=foreground", "--wait=true", "--timeout=60s"],
    );
    assert!(
        items(&server, &["get", "rs", "-l", "app=fg"]).is_empty(),
        "foreground left the replica set"
    );
    ok(
        &server,
        &["delete", "deployment", "keep", "--cascade=orphan", "--wait=true", "--timeout=60s"],
    );
    eventually(
        &server,
        "orphan: the replica set stays, without owner",
        Duration::from_secs(30),
        || {
            let sets = items(&server, &["get", "rs", "-l", "app=keep"]);
            sets.len() == 1
                && sets[0]["metadata"]["ownerReferences"].as_array().is_none_or(Vec::is_empty)
        },
    );
    assert_eq!(pods(&server, "app=keep").len(), 2);
}

#[test]
fn cordon_drain_and_uncordon() {
    let server = cluster();
    ok(&server, &["create", "deployment", "web", "--image=registry.local/web:1", "--replicas=6"]);
    rollout_status(&server, "deployment/web");
    ok(&server, &["cordon", "sim-node-0"]);
    assert_eq!(json(&server, &["get", "node", "sim-node-0"])["spec"]["unschedulable"], true);
    ok(&server, &["drain", "sim-node-0", "--ignore-daemonsets", "--timeout=60s"]);
    rollout_status(&server, "deployment/web");
    eventually(&server, "six ready pods off the drained node", Duration::from_secs(30), || {
        let now = pods(&server, "app=web");
        now.len() == 6 && now.iter().all(|(_, node, _, ready)| *ready && node != "sim-node-0")
    });
    ok(&server, &["uncordon", "sim-node-0"]);
    assert!(json(&server, &["get", "node", "sim-node-0"])["spec"]["unschedulable"].is_null());
}

#[test]
fn pods_of_a_lost_node_are_replaced_elsewhere() {
    let server = cluster();
    let mut doomed = Reaped(sim_nodes(&server, "doomed-", 1));
    eventually(&server, "the extra node Ready", Duration::from_secs(30), || {
        json(&server, &["get", "nodes"])["items"].as_array().is_some_and(|n| n.len() == 4)
    });
    ok(&server, &["create", "deployment", "web", "--image=registry.local/web:1", "--replicas=8"]);
    rollout_status(&server, "deployment/web");
    assert!(
        pods(&server, "app=web").iter().any(|p| p.1 == "doomed-0"),
        "spreading should have put a pod on the fourth node"
    );
    let _ = doomed.0.kill();
    let _ = doomed.0.wait();
    eventually(&server, "the node marked unreachable", Duration::from_secs(30), || {
        let node = json(&server, &["get", "node", "doomed-0"]);
        node["spec"]["taints"].as_array().is_some_and(|t| {
            t.iter()
                .any(|t| t["key"] == "node.kubernetes.io/unreachable" && t["effect"] == "NoExecute")
        })
    });
    eventually(&server, "eight ready pods on the live nodes", Duration::from_secs(60), || {
        let now = pods(&server, "app=web");
        now.len() == 8
            && now.iter().all(|(_, node, _, ready)| *ready && node.starts_with("sim-node-"))
    });
}

#[test]
fn deleting_a_namespace_removes_everything_in_it() {
    let server = cluster();
    ok(&server, &["create", "namespace", "doomed"]);
    ok(&server, &["-n", "doomed", "create", "deployment", "web", "--image=registry.local/web:1"]);
    ok(&server, &["-n", "doomed", "create", "configmap", "settings", "--from-literal=a=b"]);
    ok(&server, &["-n", "doomed", "rollout", "status", "deployment/web", "--timeout=60s"]);
    assert!(
        json(&server, &["-n", "doomed", "get", "serviceaccount", "default"])["metadata"]["uid"]
            .is_string()
    );
    ok(&server, &["delete", "namespace", "doomed", "--timeout=60s"]);
    let gone = fails(&server, &["get", "namespace", "doomed"]);
    assert!(gone.contains("NotFound"), "{gone}");
}

#[test]
fn a_rollout_interrupted_by_kill_9_converges_after_restart() {
    let mut server = cluster();
    ok(&server, &["create", "deployment", "web", "--image=registry.local/web:1", "--replicas=20"]);
    rollout_status(&server, "deployment/web");
    ok(&server, &["set", "image", "deployment/web", "web=registry.local/web:2"]);
    std::thread::sleep(Duration::from_millis(300));
    server.restart().expect("restart the server");
    rollout_status(&server, "deployment/web");
    eventually(&server, "twenty pods of the new image, no more", Duration::from_secs(60), || {
        let now = pods(&server, "app=web");
        now.len() == 20
            && now.iter().all(|(_, _, image, ready)| *ready && image == "registry.local/web:2")
    });
    let sets = items(&server, &["get", "rs", "-l", "app=web"]);
    let replicas: Vec<i64> =
        sets.iter().map(|s| s["spec"]["replicas"].as_i64().unwrap_or(-1)).collect();
    assert_eq!(replicas.iter().sum::<i64>(), 20, "{replicas:?}");
}

#[test]
fn bad_workloads_get_clear_errors_and_unfittable_pods_stay_pending() {
    let server = cluster();
    let negative = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: neg}\nspec:\n  replicas: -1\n  selector: {matchLabels: {app: neg}}\n  template:\n    metadata: {labels: {app: neg}}\n    spec: {containers: [{name: c, image: i}]}\n";
    let error = fails(&server, &["apply", "-f", &write(&server, "neg.yaml", negative)]);
    assert!(error.contains("spec.replicas"), "{error}");
    let mismatch = negative
        .replace("replicas: -1", "replicas: 1")
        .replace("labels: {app: neg}", "labels: {app: other}");
    let error = fails(&server, &["apply", "-f", &write(&server, "mismatch.yaml", &mismatch)]);
    assert!(error.contains("selector"), "{error}");
    let cron = CRONJOB.replace("'* * * * *'", "'61 * * * *'");
    let error = fails(&server, &["apply", "-f", &write(&server, "cron.yaml", &cron)]);
    assert!(error.contains("spec.schedule"), "{error}");

    let huge = "apiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec:\n  containers:\n  - name: c\n    image: i\n    resources: {requests: {cpu: '1000'}}\n";
    ok(&server, &["apply", "-f", &write(&server, "huge.yaml", huge)]);
    eventually(&server, "a FailedScheduling event", Duration::from_secs(30), || {
        items(&server, &["get", "events", "--field-selector", "involvedObject.name=huge"])
            .iter()
            .any(|e| {
                e["reason"] == "FailedScheduling"
                    && e["message"].as_str().is_some_and(|m| {
                        m.starts_with("0/3 nodes are available: 3 Insufficient cpu.")
                    })
            })
    });
    let pod = json(&server, &["get", "pod", "huge"]);
    assert_eq!(pod["status"]["phase"], "Pending");
    assert!(pod["spec"]["nodeName"].is_null());
}

fn lease_holder(server: &BerthServer, name: &str) -> (String, i64) {
    let lease = json(server, &["-n", "kube-system", "get", "lease", name]);
    let holder = lease["spec"]["holderIdentity"].as_str().unwrap_or_default().to_owned();
    (holder, lease["spec"]["leaseTransitions"].as_i64().unwrap_or(0))
}

#[test]
fn one_of_two_servers_leads_and_the_other_takes_over_when_it_dies() {
    let etcd = berth_testkit::EtcdCluster::start(1).expect("etcd");
    let endpoint = etcd.endpoints();
    let mut first = server(&["--datastore-endpoint", &endpoint]);
    let (leader, _) = {
        let mut holder = (String::new(), 0);
        eventually(&first, "the first server leading", Duration::from_secs(30), || {
            holder = lease_holder(&first, "kube-controller-manager");
            !holder.0.is_empty()
        });
        holder
    };
    let second = server(&["--datastore-endpoint", &endpoint, "--sim-nodes", "2"]);
    ok(&second, &["create", "deployment", "web", "--image=registry.local/web:1", "--replicas=3"]);
    rollout_status(&second, "deployment/web");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(pods(&second, "app=web").len(), 3, "two controller managers acted at once");
    for lease in ["kube-controller-manager", "kube-scheduler"] {
        assert_eq!(lease_holder(&second, lease).0, leader, "{lease} held by the first server");
    }

    first.kill();
    eventually(&second, "the second server taking both leases", Duration::from_secs(40), || {
        ["kube-controller-manager", "kube-scheduler"].iter().all(|lease| {
            let (holder, transitions) = lease_holder(&second, lease);
            !holder.is_empty() && holder != leader && transitions >= 1
        })
    });
    ok(&second, &["scale", "deployment/web", "--replicas=5"]);
    rollout_status(&second, "deployment/web");
    assert_eq!(pods(&second, "app=web").len(), 5);
}

const PRIORITY_CLASSES: &str = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: low}\nvalue: 100\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n";
const FILLER: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: filler}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: filler}}\n  template:\n    metadata: {labels: {app: filler}}\n    spec:\n      priorityClassName: low\n      containers: [{name: c, image: i, resources: {requests: {cpu: '30'}}}]\n";
const VIP: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: vip}\nspec:\n  priorityClassName: high\n  containers: [{name: c, image: i, resources: {requests: {cpu: '20'}}}]\n";

/// Filler pods: (name, node, phase), not being deleted.
fn filler_pods(server: &BerthServer) -> Vec<(String, String, String)> {
    items(server, &["get", "pods", "-l", "app=filler"])
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| {
            let field = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                field(&p["metadata"]["name"]),
                field(&p["spec"]["nodeName"]),
                field(&p["status"]["phase"]),
            )
        })
        .collect()
}

#[test]
fn a_high_priority_pod_preempts_a_low_priority_one() {
    let server = cluster();
    ok(&server, &["apply", "-f", &write(&server, "classes.yaml", PRIORITY_CLASSES)]);
    ok(&server, &["apply", "-f", &write(&server, "filler.yaml", FILLER)]);
    eventually(&server, "3 filler pods Running", Duration::from_secs(60), || {
        let pods = filler_pods(&server);
        pods.len() == 3
            && pods.iter().all(|(_, node, phase)| !node.is_empty() && phase == "Running")
    });
    let before: BTreeSet<String> =
        filler_pods(&server).into_iter().map(|(name, ..)| name).collect();

    ok(&server, &["apply", "-f", &write(&server, "vip.yaml", VIP)]);
    eventually(&server, "vip Running on a node", Duration::from_secs(60), || {
        let vip = json(&server, &["get", "pod", "vip"]);
        vip["status"]["phase"] == "Running" && vip["spec"]["nodeName"].is_string()
    });
    eventually(
        &server,
        "one filler pod replaced by a Pending one",
        Duration::from_secs(30),
        || {
            let now = filler_pods(&server);
            let kept = now.iter().filter(|(name, ..)| before.contains(name)).count();
            let pending: Vec<_> = now
                .iter()
                .filter(|(name, node, phase)| {
                    !before.contains(name) && node.is_empty() && phase == "Pending"
                })
                .collect();
            now.len() == 3 && kept == 2 && pending.len() == 1
        },
    );
    let vip = json(&server, &["get", "pod", "vip"]);
    assert_eq!(vip["spec"]["priority"], 1000, "{vip}");
    assert_eq!(vip["spec"]["preemptionPolicy"], "PreemptLowerPriority", "{vip}");

    let missing = VIP.replace("name: vip", "name: lost").replace("high", "nonexistent");
    let error = fails(&server, &["apply", "-f", &write(&server, "lost.yaml", &missing)]);
    assert!(
        error.contains(
            "pods \"lost\" is forbidden: no PriorityClass with name nonexistent was found"
        ),
        "{error}"
    );
}

/// CPU seconds (user + system) the process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[test]
fn a_workload_whose_pods_cannot_be_created_reports_it_without_spinning() {
    let server = cluster();
    // The API accepts the Deployment, but refuses each of its pods (no such PriorityClass).
    let broken = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: broken}}\n  template:\n    metadata: {labels: {app: broken}}\n    spec:\n      priorityClassName: no-such-class\n      containers: [{name: c, image: registry.local/c:1}]\n";
    ok(&server, &["apply", "-f", &write(&server, "broken.yaml", broken)]);
    eventually(&server, "the replica set reporting FailedCreate", Duration::from_secs(30), || {
        items(&server, &["get", "rs", "-l", "app=broken"]).iter().any(|rs| {
            rs["status"]["conditions"].as_array().is_some_and(|c| {
                c.iter().any(|c| c["type"] == "ReplicaFailure" && c["reason"] == "FailedCreate")
            })
        })
    });
    let pid = server.pid().expect("server running");
    let before = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(10));
    let used = cpu_seconds(pid) - before;
    // Three idle simulated nodes and the retries with backoff cost a fraction of a core; a hot
    // loop would cost most of one.
    assert!(used < 2.0, "the server used {used:.2} CPU seconds in 10 s with one broken workload");
    assert!(pods(&server, "app=broken").is_empty());
}

#[test]
fn a_rollout_that_never_becomes_ready_exceeds_its_progress_deadline() {
    let server = cluster();
    // The simulated containers run but never report ready.
    let stuck = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stuck}\nspec:\n  replicas: 2\n  progressDeadlineSeconds: 3\n  selector: {matchLabels: {app: stuck}}\n  template:\n    metadata:\n      labels: {app: stuck}\n      annotations: {sim.berth.dev/ready: 'false'}\n    spec:\n      containers: [{name: c, image: registry.local/c:1}]\n";
    ok(&server, &["apply", "-f", &write(&server, "stuck.yaml", stuck)]);
    let output = server
        .kubectl(&["rollout", "status", "deployment/stuck", "--timeout=60s"])
        .expect("kubectl");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "rollout status succeeded: {printed}");
    assert!(printed.contains("exceeded its progress deadline"), "{printed}");
    let deployment = json(&server, &["get", "deployment", "stuck"]);
    let progressing = deployment["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Progressing"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(progressing["status"], "False", "{deployment}");
    assert_eq!(progressing["reason"], "ProgressDeadlineExceeded", "{deployment}");
}
