//! Events and pod conditions, written in the background so that they never slow binding down:
//! `Scheduled` (Normal) after a binding, `FailedScheduling` (Warning) with the [`FitError`]
//! text, and the `PodScheduled=False reason Unschedulable` condition on the pod's status.
//!
//! `Scheduled` events pass a token bucket ([`crate::Config::event_qps`]); when the buffer is full
//! a note is dropped rather than waited for.
//!
//! [`FitError`]: crate::plan::FitError

use std::time::Instant;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use tokio::sync::mpsc;

/// The pod an event is about.
#[derive(Debug, Clone)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub resource_version: String,
}

impl PodRef {
    pub fn of(pod: &Pod) -> PodRef {
        let meta = &pod.metadata;
        PodRef {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            resource_version: meta.resource_version.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug)]
enum Note {
    Scheduled { pod: PodRef, node: String },
    Failed { pod: PodRef, message: String, set_condition: bool },
}

/// A token bucket: `rate` tokens per second up to `burst`.
#[derive(Debug)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The driver's handle; the writer task stops when it is dropped.
#[derive(Debug)]
pub struct Recorder {
    tx: mpsc::Sender<Note>,
    bucket: Bucket,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Writes at once at most this many.
const CONCURRENT_WRITES: usize = 16;

impl Recorder {
    pub fn spawn(
        client: kube::Client,
        config: &crate::Config,
        leadership: berth_leader::Leadership,
    ) -> Recorder {
        let (tx, rx) = mpsc::channel(8192);
        let writer = Writer {
            client,
            component: config.scheduler_name.clone(),
            instance: config.identity.clone(),
            leadership,
        };
        let notes =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|n| (n, rx)) },
            );
        let task = tokio::spawn(async move {
            notes.for_each_concurrent(CONCURRENT_WRITES, |note| writer.write(note)).await;
        });
        let burst = config.event_burst.max(1) as f64;
        Recorder {
            tx,
            bucket: Bucket { rate: config.event_qps, burst, tokens: burst, at: Instant::now() },
            task,
        }
    }

    /// `Successfully assigned ns/name to node`, if the rate allows.
    pub fn scheduled(&mut self, pod: PodRef, node: String) {
        if self.bucket.take(Instant::now()) {
            let _ = self.tx.try_send(Note::Scheduled { pod, node });
        }
    }

    /// A `FailedScheduling` event; `set_condition` when the pod's PodScheduled condition does not
    /// already say this.
    pub fn failed(&mut self, pod: PodRef, message: String, set_condition: bool) {
        let _ = self.tx.try_send(Note::Failed { pod, message, set_condition });
    }
}

struct Writer {
    client: kube::Client,
    component: String,
    instance: String,
    leadership: berth_leader::Leadership,
}

impl Writer {
    async fn write(&self, note: Note) {
        if !self.leadership.is_leader() {
            return;
        }
        let (pod, kind, reason, message) = match note {
            Note::Scheduled { pod, node } => {
                let message =
                    format!("Successfully assigned {}/{} to {node}", pod.namespace, pod.name);
                (pod, "Normal", "Scheduled", message)
            }
            Note::Failed { pod, message, set_condition } => {
                if set_condition {
                    self.set_condition(&pod, &message).await;
                }
                (pod, "Warning", "FailedScheduling", message)
            }
        };
        let now = Timestamp::now();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{}.{:x}", pod.name, now.as_nanosecond())),
                namespace: Some(pod.namespace.clone()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".to_owned()),
                kind: Some("Pod".to_owned()),
                namespace: Some(pod.namespace.clone()),
                name: Some(pod.name.clone()),
                uid: Some(pod.uid.clone()),
                resource_version: Some(pod.resource_version.clone()).filter(|v| !v.is_empty()),
                ..ObjectReference::default()
            },
            reason: Some(reason.to_owned()),
            message: Some(message),
            type_: Some(kind.to_owned()),
            source: Some(EventSource { component: Some(self.component.clone()), host: None }),
            reporting_component: Some(self.component.clone()),
            reporting_instance: Some(self.instance.clone()),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            count: Some(1),
            ..Event::default()
        };
        let events: Api<Event> = Api::namespaced(self.client.clone(), &pod.namespace);
        if let Err(error) = events.create(&PostParams::default(), &event).await {
            tracing::debug!(pod = %pod.name, %error, "writing an event");
        }
    }

    async fn set_condition(&self, pod: &PodRef, message: &str) {
        let patch = serde_json::json!({"status": {"conditions": [{
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": null,
            "lastTransitionTime": Timestamp::now().to_string(),
        }]}});
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &pod.namespace);
        if let Err(error) =
            pods.patch_status(&pod.name, &PatchParams::default(), &Patch::Strategic(patch)).await
        {
            tracing::debug!(pod = %pod.name, %error, "setting PodScheduled");
        }
    }
}
