//! The list of controllers: adding one is one line in [`CONTROLLERS`].

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::{Context, Error};

/// A controller's entry point: runs until it fails or is cancelled.
pub type Start = fn(Arc<Context>) -> BoxFuture<'static, Result<(), Error>>;

/// Every controller the controller manager runs, by the name `--disable` and logs use.
pub const CONTROLLERS: &[(&str, Start)] = &[
    ("replicaset", |ctx| Box::pin(crate::replicaset::run(ctx))),
    ("deployment", |ctx| Box::pin(crate::deployment::run(ctx))),
    ("statefulset", |ctx| Box::pin(crate::statefulset::run(ctx))),
    ("daemonset", |ctx| Box::pin(crate::daemonset::run(ctx))),
    ("job", |ctx| Box::pin(crate::job::run(ctx))),
    ("cronjob", |ctx| Box::pin(crate::cronjob::run(ctx))),
    ("endpoints", |ctx| Box::pin(crate::endpoints::run(ctx))),
    ("endpointslice", |ctx| Box::pin(crate::endpointslice::run(ctx))),
    ("namespace", |ctx| Box::pin(crate::namespace::run(ctx))),
    ("garbagecollector", |ctx| Box::pin(crate::garbage_collector::run(ctx))),
    ("nodelifecycle", |ctx| Box::pin(crate::node_lifecycle::run(ctx))),
    ("serviceaccount", |ctx| Box::pin(crate::serviceaccount::run(ctx))),
    ("persistentvolume-binder", |ctx| Box::pin(crate::volume::binder::run(ctx))),
    ("local-path-provisioner", |ctx| Box::pin(crate::volume::local_path::run(ctx))),
];

/// Runs every enabled controller; returns the first failure (the others are cancelled with it).
pub async fn run_all(ctx: Arc<Context>) -> Result<(), Error> {
    let mut tasks = tokio::task::JoinSet::new();
    for (name, start) in CONTROLLERS {
        if ctx.config.disabled.iter().any(|d| d == name) {
            continue;
        }
        let future = start(ctx.clone());
        tasks.spawn(async move {
            let result = future.await;
            if let Err(error) = &result {
                tracing::error!(controller = name, %error, "controller stopped");
            }
            result.and(Err(Error::Stopped(name)))
        });
    }
    match tasks.join_next().await {
        Some(Ok(result)) => result,
        Some(Err(join)) => Err(Error::Invalid(format!("a controller task failed: {join}"))),
        None => std::future::pending().await,
    }
}
