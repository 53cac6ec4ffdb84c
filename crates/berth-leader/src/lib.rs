//! Leader election on a `coordination.k8s.io/v1` Lease, the way client-go's leaderelection does
//! it, shared by the scheduler and the controller manager.
//!
//! Start at [`lead`]: it waits until this process holds the Lease, runs the caller's work while
//! it keeps renewing, and cancels that work (drops its future) the moment a renewal has not
//! succeeded for `renew_deadline`. Then it campaigns again. The decision whether a Lease may be
//! taken is the pure [`may_acquire`].
//!
//! Fencing: a leader stops acting `renew_deadline` after its last successful renewal, while a
//! successor may only take the Lease `lease_duration` after it last saw the Lease change (15 s
//! versus 10 s by default), so there is a window in which nobody acts. Every write a leader makes
//! should also check [`Leadership::is_leader`] first and carry a resourceVersion precondition
//! where it updates, so that a leader that was paused (stopped process, long GC) cannot overwrite
//! what its successor wrote: its update fails with 409 and its next look at the cache sees the
//! successor's state.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};

/// The timings and the Lease's name. Defaults are Kubernetes': 15 s / 10 s / 2 s.
#[derive(Debug, Clone)]
pub struct Config {
    pub namespace: String,
    pub name: String,
    /// Who we are; unique per process (`hostname_uuid` in Kubernetes).
    pub identity: String,
    /// How long others wait after the Lease last changed before they may take it.
    pub lease_duration: Duration,
    /// How long the leader keeps acting without a successful renewal.
    pub renew_deadline: Duration,
    /// How often candidates try and the leader renews.
    pub retry_period: Duration,
}

impl Config {
    /// A Lease in kube-system with Kubernetes' default timings.
    pub fn new(name: &str, identity: &str) -> Config {
        Config {
            namespace: "kube-system".to_owned(),
            name: name.to_owned(),
            identity: identity.to_owned(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// A unique identity for this process: host name plus a random suffix.
pub fn identity() -> String {
    identity_with(std::process::id() as u64 ^ Timestamp::now().as_nanosecond() as u64)
}

/// The host name plus `suffix`: for a caller that derives a stable suffix (so that a restarted
/// process is recognised as the holder it was).
pub fn identity_with(suffix: u64) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "berth".to_owned());
    format!("{host}_{suffix:016x}")
}

/// Handed to the work while this process leads: cheap to clone, answers whether it still may act.
#[derive(Debug, Clone)]
pub struct Leadership {
    /// When leadership ends unless renewed: milliseconds since `epoch`.
    valid_until_ms: Arc<AtomicU64>,
    epoch: Instant,
    identity: Arc<str>,
}

impl Leadership {
    fn new(identity: &str) -> Leadership {
        Leadership {
            valid_until_ms: Arc::new(AtomicU64::new(0)),
            epoch: Instant::now(),
            identity: identity.into(),
        }
    }

    /// A leadership that never ends: for tests and for a single process that owns its cluster.
    pub fn always(identity: &str) -> Leadership {
        let leadership = Leadership::new(identity);
        leadership.valid_until_ms.store(u64::MAX, Ordering::SeqCst);
        leadership
    }

    /// True while the last renewal is younger than the renew deadline. Check it before a write.
    pub fn is_leader(&self) -> bool {
        let now = self.epoch.elapsed().as_millis() as u64;
        now < self.valid_until_ms.load(Ordering::SeqCst)
    }

    /// This process's identity as written in the Lease.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    fn extend(&self, until: Instant) {
        let ms = until.saturating_duration_since(self.epoch).as_millis() as u64;
        self.valid_until_ms.store(ms, Ordering::SeqCst);
    }

    fn revoke(&self) {
        self.valid_until_ms.store(0, Ordering::SeqCst);
    }
}

/// What went wrong talking to the API about the Lease.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading lease {0}")]
    Read(String, #[source] kube::Error),
}

/// What a candidate last saw of the Lease: its content and when (by our clock) it last changed.
#[derive(Debug, Clone)]
struct Observed {
    holder: Option<String>,
    resource_version: Option<String>,
    duration: Duration,
    changed_at: Instant,
}

/// The pure rule: may `identity` take (or keep) a Lease it observed as `observed` at `now`?
/// Yes when nobody holds it, when it is ours, or when it has not changed for its duration.
fn may_acquire(observed: &Observed, identity: &str, now: Instant) -> bool {
    match observed.holder.as_deref() {
        None | Some("") => true,
        Some(holder) if holder == identity => true,
        Some(_) => now.duration_since(observed.changed_at) >= observed.duration,
    }
}

/// Campaigns for the Lease forever; while leading, runs `work` (given a [`Leadership`]) and
/// drops it when leadership is lost. Returns only if `work` returns, with its result.
pub async fn lead<F, Fut, T>(client: kube::Client, config: Config, mut work: F) -> T
where
    F: FnMut(Leadership) -> Fut,
    Fut: Future<Output = T>,
{
    let leases: Api<Lease> = Api::namespaced(client, &config.namespace);
    let mut observed: Option<Observed> = None;
    loop {
        let leadership = Leadership::new(&config.identity);
        if let Err(error) = acquire(&leases, &config, &mut observed, &leadership).await {
            tracing::warn!(lease = %config.name, %error, "leader election");
        }
        if !leadership.is_leader() {
            tokio::time::sleep(jitter(config.retry_period)).await;
            continue;
        }
        tracing::info!(lease = %config.name, identity = %config.identity, "became leader");
        let outcome = tokio::select! {
            result = work(leadership.clone()) => Some(result),
            () = renew(&leases, &config, &mut observed, &leadership) => None,
        };
        leadership.revoke();
        match outcome {
            Some(result) => {
                release(&leases, &config).await;
                return result;
            }
            None => tracing::warn!(lease = %config.name, "lost leadership"),
        }
    }
}

/// Renews every retry period until a renewal has not succeeded for the renew deadline.
async fn renew(
    leases: &Api<Lease>,
    config: &Config,
    observed: &mut Option<Observed>,
    leadership: &Leadership,
) {
    loop {
        tokio::time::sleep(config.retry_period).await;
        if let Err(error) = acquire(leases, config, observed, leadership).await {
            tracing::warn!(lease = %config.name, %error, "renewing");
        }
        if !leadership.is_leader() {
            return;
        }
    }
}

/// One attempt to take or renew the Lease; on success extends `leadership`.
async fn acquire(
    leases: &Api<Lease>,
    config: &Config,
    observed: &mut Option<Observed>,
    leadership: &Leadership,
) -> Result<(), Error> {
    let attempt = Instant::now();
    let current =
        leases.get_opt(&config.name).await.map_err(|e| Error::Read(config.name.clone(), e))?;
    let now_stamp = MicroTime(Timestamp::now());
    let Some(mut lease) = current else {
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(config.name.clone()),
                namespace: Some(config.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(config.identity.clone()),
                lease_duration_seconds: Some(config.lease_duration.as_secs() as i32),
                acquire_time: Some(now_stamp.clone()),
                renew_time: Some(now_stamp),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        };
        if leases.create(&PostParams::default(), &lease).await.is_ok() {
            leadership.extend(attempt + config.renew_deadline);
        }
        return Ok(());
    };
    let spec = lease.spec.clone().unwrap_or_default();
    let resource_version = lease.metadata.resource_version.clone();
    // The observation clock restarts whenever the Lease's content changes.
    let changed = observed.as_ref().is_none_or(|seen| seen.resource_version != resource_version);
    if changed {
        *observed = Some(Observed {
            holder: spec.holder_identity.clone(),
            resource_version: resource_version.clone(),
            duration: Duration::from_secs(spec.lease_duration_seconds.unwrap_or(15).max(1) as u64),
            changed_at: attempt,
        });
    }
    let Some(seen) = observed.as_ref() else { return Ok(()) };
    if !may_acquire(seen, &config.identity, attempt) {
        return Ok(());
    }
    let ours = spec.holder_identity.as_deref() == Some(config.identity.as_str());
    let mut next = spec.clone();
    if !ours {
        next.acquire_time = Some(now_stamp.clone());
        next.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
    }
    next.holder_identity = Some(config.identity.clone());
    next.lease_duration_seconds = Some(config.lease_duration.as_secs() as i32);
    next.renew_time = Some(now_stamp);
    lease.spec = Some(next);
    // The resourceVersion we read is the precondition: two candidates cannot both win.
    if let Ok(updated) = leases.replace(&config.name, &PostParams::default(), &lease).await {
        *observed = Some(Observed {
            holder: Some(config.identity.clone()),
            resource_version: updated.metadata.resource_version,
            duration: config.lease_duration,
            changed_at: attempt,
        });
        leadership.extend(attempt + config.renew_deadline);
    }
    Ok(())
}

/// Gives the Lease up on a clean exit so that a successor need not wait for it to expire.
async fn release(leases: &Api<Lease>, config: &Config) {
    let Ok(Some(mut lease)) = leases.get_opt(&config.name).await else { return };
    let Some(spec) = lease.spec.as_mut() else { return };
    if spec.holder_identity.as_deref() != Some(config.identity.as_str()) {
        return;
    }
    spec.holder_identity = None;
    spec.lease_duration_seconds = Some(1);
    let _ = leases.replace(&config.name, &PostParams::default(), &lease).await;
}

/// Up to 20% more than `period`, so that candidates do not fire in lockstep.
fn jitter(period: Duration) -> Duration {
    let nanos = Timestamp::now().subsec_nanosecond().unsigned_abs() as u64 % 200;
    period + period.mul_f64(nanos as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(holder: Option<&str>, at: Instant) -> Observed {
        Observed {
            holder: holder.map(str::to_owned),
            resource_version: Some("1".to_owned()),
            duration: Duration::from_secs(15),
            changed_at: at,
        }
    }

    #[test]
    fn a_lease_held_by_another_is_taken_only_after_its_duration_without_change() {
        let start = Instant::now();
        let lease = seen(Some("other"), start);
        assert!(!may_acquire(&lease, "me", start + Duration::from_secs(14)));
        assert!(may_acquire(&lease, "me", start + Duration::from_secs(15)));
    }

    #[test]
    fn an_empty_or_own_lease_is_taken_at_once() {
        let start = Instant::now();
        assert!(may_acquire(&seen(None, start), "me", start));
        assert!(may_acquire(&seen(Some(""), start), "me", start));
        assert!(may_acquire(&seen(Some("me"), start), "me", start));
    }

    #[test]
    fn leadership_ends_at_its_deadline_and_on_revoke() {
        let leadership = Leadership::new("me");
        assert!(!leadership.is_leader());
        leadership.extend(Instant::now() + Duration::from_secs(10));
        assert!(leadership.is_leader());
        leadership.revoke();
        assert!(!leadership.is_leader());
        leadership.extend(Instant::now());
        assert!(!leadership.is_leader());
        assert!(Leadership::always("me").is_leader());
    }
}
