//! Keeps the registry in step with the CRDs in the store, whoever wrote them: a list, then a
//! watch of the CRD prefix, starting over after any error. Several API servers sharing one
//! etcd so serve the same custom resources. It also finishes the deletion of terminating CRDs
//! ([`super::cleanup::finish`]) on every change and every few seconds, for resources whose
//! finalizers held them when the CRD was deleted.

use std::time::Duration;

use berth_store::EventKind;
use futures_util::StreamExt;

use super::{cleanup, crd_def};
use crate::ApiState;
use crate::objects::{self, Objects};
use crate::status::ApiError;

/// How often terminating CRDs are looked at again.
const RESYNC: Duration = Duration::from_secs(5);

/// Follows the CRDs until the process ends. Errors (an unreachable store) are logged and the
/// list and watch start over, so this never returns.
pub async fn run(state: ApiState) {
    let mut pause = Duration::from_millis(250);
    loop {
        match follow(&state).await {
            Ok(()) => pause = Duration::from_millis(250),
            Err(error) => {
                tracing::warn!(%error, "following CustomResourceDefinitions; starting over");
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }
        tokio::time::sleep(pause).await;
    }
}

/// One list and watch, until the watch ends.
async fn follow(state: &ApiState) -> Result<(), ApiError> {
    let def = crd_def()?;
    let revision = state.crds.load(&state.objects).await?;
    finish_terminating(state).await;
    let prefix = Objects::prefix(def, None);
    let store = state.objects.store();
    let mut events =
        store.watch(&prefix, revision + 1).await.map_err(|e| ApiError::from_store(e, def, ""))?;
    let mut resync = tokio::time::interval(RESYNC);
    resync.tick().await;
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    let revision = event.revision();
                    if event.kind == EventKind::Delete {
                        let name = event.kv.key.rsplit('/').next().unwrap_or_default();
                        state.crds.remove(name, revision);
                        continue;
                    }
                    let crd = objects::decode(&event.kv)?.object;
                    state.crds.apply(&crd, revision);
                    if crd.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()) {
                        finish_terminating(state).await;
                    }
                }
                Some(Err(error)) => return Err(ApiError::from_store(error, def, "")),
                None => return Ok(()),
            },
            _ = resync.tick() => finish_terminating(state).await,
        }
    }
}

async fn finish_terminating(state: &ApiState) {
    for name in state.crds.terminating() {
        if let Err(error) = cleanup::finish(state, &name).await {
            tracing::warn!(%error, crd = %name, "deleting the custom resources of a deleted CRD");
        }
    }
}
