//! [`DeploymentSync`]: one sync of one deployment and every write it makes: claiming
//! ReplicaSets, finding or creating the new one (and the revision that goes with it), scaling,
//! deleting old history and writing the status. Each write carries the resourceVersion it read;
//! a conflict fails the sync, which is retried with backoff.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::core::Selector;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use kube::{Api, ResourceExt};
use serde_json::json;

use super::revision::{self, HASH_LABEL, REVISION};
use super::rolling::{self, Limits};
use super::status;
use crate::replicaset::{Claim, adopt, claim, release};
use crate::{Context, Error, pods};

/// One sync of `deployment`, which it keeps current with what its writes return.
pub(crate) struct DeploymentSync<'a> {
    pub ctx: &'a Context,
    pub deployment: Deployment,
    pub now: Timestamp,
    deployments: Api<Deployment>,
    sets: Api<ReplicaSet>,
}

impl<'a> DeploymentSync<'a> {
    pub fn new(ctx: &'a Context, deployment: Deployment, now: Timestamp) -> DeploymentSync<'a> {
        let namespace = deployment.namespace().unwrap_or_default();
        DeploymentSync {
            deployments: Api::namespaced(ctx.client.clone(), &namespace),
            sets: Api::namespaced(ctx.client.clone(), &namespace),
            ctx,
            deployment,
            now,
        }
    }

    fn key(&self) -> String {
        format!(
            "{}/{}",
            self.deployment.namespace().unwrap_or_default(),
            self.deployment.name_any()
        )
    }

    fn limits(&self) -> Limits {
        rolling::limits(&self.deployment)
    }

    /// The deployment's selector as a label query.
    pub fn selector_string(&self) -> String {
        let selector =
            self.deployment.spec.as_ref().map(|s| s.selector.clone()).unwrap_or_default();
        Selector::try_from(selector).map(|s| s.to_string()).unwrap_or_default()
    }

    /// The ReplicaSets this deployment controls after adopting matching orphans and releasing
    /// what it no longer selects.
    pub async fn claim(&mut self, cache: &Store<ReplicaSet>) -> Result<Vec<ReplicaSet>, Error> {
        let namespace = self.deployment.namespace().unwrap_or_default();
        let uid = self.deployment.uid().unwrap_or_default();
        let name = self.deployment.name_any();
        let deleting = self.deployment.metadata.deletion_timestamp.is_some();
        let selector = self.deployment.spec.as_ref().map(|s| &s.selector);
        let mut owned = Vec::new();
        let mut may_adopt = None;
        for rs in cache
            .state()
            .into_iter()
            .filter(|rs| rs.namespace().as_deref() == Some(namespace.as_str()))
        {
            let selected = pods::selects(selector, rs.metadata.labels.as_ref());
            match claim(&uid, deleting, &rs.metadata, selected) {
                Claim::Keep => owned.push(rs.as_ref().clone()),
                Claim::Ignore => {}
                Claim::Release => {
                    self.ctx.ensure_leader()?;
                    release(&self.sets, rs.as_ref(), &uid).await.map_err(|e| {
                        Error::api(format!("releasing replicaset {}", rs.name_any()), e)
                    })?;
                }
                Claim::Adopt => {
                    if may_adopt.is_none() {
                        let live = self.deployments.get_opt(&name).await.map_err(|e| {
                            Error::api(format!("reading deployment {}", self.key()), e)
                        })?;
                        may_adopt = Some(live.is_some_and(|d| {
                            d.uid().as_deref() == Some(uid.as_str())
                                && d.metadata.deletion_timestamp.is_none()
                        }));
                    }
                    if may_adopt != Some(true) {
                        continue;
                    }
                    self.ctx.ensure_leader()?;
                    let owner = pods::controller_ref("apps/v1", "Deployment", &name, &uid);
                    if let Some(adopted) =
                        adopt(&self.sets, rs.as_ref(), owner).await.map_err(|e| {
                            Error::api(format!("adopting replicaset {}", rs.name_any()), e)
                        })?
                    {
                        owned.push(adopted);
                    }
                }
            }
        }
        Ok(owned)
    }

    /// Splits `sets` into the new ReplicaSet (creating it when `create` and it is missing) and
    /// the old ones, and brings the revision annotations up to date on both sides.
    pub async fn new_and_old(
        &mut self,
        mut sets: Vec<ReplicaSet>,
        create: bool,
    ) -> Result<(Option<ReplicaSet>, Vec<ReplicaSet>), Error> {
        revision::by_creation(&mut sets);
        let found = revision::find_new(&self.deployment, &sets).map(|i| sets.remove(i));
        let old = sets;
        let next_revision = revision::max_revision(&old) + 1;
        match found {
            Some(rs) => {
                let rs = self.refresh_new(rs, next_revision).await?;
                let revision = rs.annotations().get(REVISION).cloned().unwrap_or_default();
                self.set_revision(&revision).await?;
                let mut status = self.deployment.status.clone().unwrap_or_default();
                if has_deadline(&self.deployment)
                    && status::get(&status, status::PROGRESSING).is_none()
                {
                    let message = format!("Found new replica set \"{}\"", rs.name_any());
                    status::set(
                        &mut status,
                        status::condition(
                            status::PROGRESSING,
                            "True",
                            "FoundNewReplicaSet",
                            message,
                            self.now,
                        ),
                    );
                    self.write_status(status).await?;
                }
                Ok((Some(rs), old))
            }
            None if !create => Ok((None, old)),
            None => {
                let rs = self.create_new(&old, next_revision).await?;
                Ok((Some(rs), old))
            }
        }
    }

    /// Copies the deployment's annotations, revision and minReadySeconds to its new set.
    async fn refresh_new(&self, rs: ReplicaSet, next_revision: i64) -> Result<ReplicaSet, Error> {
        let mut annotations = rs.annotations().clone();
        let changed =
            revision::sync_annotations(&self.deployment, &mut annotations, next_revision, None);
        let min_ready = self.deployment.spec.as_ref().and_then(|s| s.min_ready_seconds);
        let min_ready_changed = rs.spec.as_ref().and_then(|s| s.min_ready_seconds) != min_ready;
        if !changed && !min_ready_changed {
            return Ok(rs);
        }
        let mut next = rs;
        next.metadata.annotations = Some(annotations);
        if let Some(spec) = next.spec.as_mut() {
            spec.min_ready_seconds = min_ready;
        }
        self.replace_set(next).await
    }

    async fn create_new(
        &mut self,
        old: &[ReplicaSet],
        next_revision: i64,
    ) -> Result<ReplicaSet, Error> {
        let spec = self.deployment.spec.clone().unwrap_or_default();
        let collisions = self.deployment.status.as_ref().and_then(|s| s.collision_count);
        let hash = revision::template_hash(&spec.template, collisions);
        let name = format!("{}-{hash}", self.deployment.name_any());
        let mut template = spec.template.clone();
        let meta = template.metadata.get_or_insert_with(ObjectMeta::default);
        meta.labels.get_or_insert_with(BTreeMap::new).insert(HASH_LABEL.to_owned(), hash.clone());
        let labels = meta.labels.clone();
        let mut selector = spec.selector.clone();
        selector.match_labels.get_or_insert_with(BTreeMap::new).insert(HASH_LABEL.to_owned(), hash);
        let limits = self.limits();
        let mut annotations = BTreeMap::new();
        revision::sync_annotations(
            &self.deployment,
            &mut annotations,
            next_revision,
            Some((limits.desired, limits.desired + limits.surge)),
        );
        let mut rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: self.deployment.namespace(),
                labels,
                annotations: Some(annotations),
                owner_references: Some(vec![pods::controller_ref(
                    "apps/v1",
                    "Deployment",
                    &self.deployment.name_any(),
                    &self.deployment.uid().unwrap_or_default(),
                )]),
                ..ObjectMeta::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(0),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(template),
            }),
            status: None,
        };
        let replicas = if super::scale::is_rolling(&self.deployment) {
            let all: Vec<&ReplicaSet> = old.iter().collect();
            rolling::new_replicas(limits, &all, 0)
        } else {
            limits.desired
        };
        if let Some(spec) = rs.spec.as_mut() {
            spec.replicas = Some(replicas);
        }
        self.ctx.ensure_leader()?;
        let created = match self.sets.create(&PostParams::default(), &rs).await {
            Ok(created) => created,
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let live = self
                    .sets
                    .get_opt(&name)
                    .await
                    .map_err(|e| Error::api(format!("reading replicaset {name}"), e))?;
                let ours = live.filter(|live| {
                    pods::controller_uid(&live.metadata) == self.deployment.uid().as_deref()
                        && live
                            .spec
                            .as_ref()
                            .and_then(|s| s.template.as_ref())
                            .is_some_and(|t| revision::equal_ignoring_hash(t, &spec.template))
                });
                match ours {
                    Some(live) => return Ok(live),
                    None => {
                        let mut status = self.deployment.status.clone().unwrap_or_default();
                        status.collision_count = Some(collisions.unwrap_or(0).saturating_add(1));
                        self.write_status(status).await?;
                        return Err(Error::Invalid(format!(
                            "replicaset {name} exists with another template: hash collision"
                        )));
                    }
                }
            }
            Err(error) => {
                if has_deadline(&self.deployment) {
                    let mut status = self.deployment.status.clone().unwrap_or_default();
                    let message = format!("Failed to create new replica set \"{name}\": {error}");
                    status::set(
                        &mut status,
                        status::condition(
                            status::PROGRESSING,
                            "False",
                            "ReplicaSetCreateError",
                            message,
                            self.now,
                        ),
                    );
                    self.write_status(status).await?;
                }
                return Err(Error::api(format!("creating replicaset {name}"), error));
            }
        };
        self.set_revision(&next_revision.to_string()).await?;
        if has_deadline(&self.deployment) {
            let mut status = self.deployment.status.clone().unwrap_or_default();
            let message = format!("Created new replica set \"{name}\"");
            status::set(
                &mut status,
                status::condition(
                    status::PROGRESSING,
                    "True",
                    "NewReplicaSetCreated",
                    message,
                    self.now,
                ),
            );
            self.write_status(status).await?;
        }
        tracing::debug!(deployment = self.key(), replicaset = name, replicas, "created replicaset");
        Ok(created)
    }

    /// Sets `rs` to `size` replicas (and its replica annotations to the deployment's).
    pub async fn scale(&self, rs: &ReplicaSet, size: i32) -> Result<ReplicaSet, Error> {
        let limits = self.limits();
        let mut annotations = rs.annotations().clone();
        let changed = revision::replica_annotations(
            &mut annotations,
            limits.desired,
            limits.desired + limits.surge,
        );
        if rolling::replicas(rs) == size && !changed {
            return Ok(rs.clone());
        }
        let mut next = rs.clone();
        next.metadata.annotations = Some(annotations);
        next.spec.get_or_insert_with(ReplicaSetSpec::default).replicas = Some(size);
        tracing::debug!(deployment = self.key(), replicaset = rs.name_any(), size, "scaling");
        self.replace_set(next).await
    }

    async fn replace_set(&self, rs: ReplicaSet) -> Result<ReplicaSet, Error> {
        self.ctx.ensure_leader()?;
        let name = rs.name_any();
        self.sets
            .replace(&name, &PostParams::default(), &rs)
            .await
            .map_err(|e| Error::api(format!("updating replicaset {name}"), e))
    }

    /// Puts `revision` on the deployment's annotations (a metadata write: no new generation).
    async fn set_revision(&mut self, revision: &str) -> Result<(), Error> {
        if revision.is_empty()
            || self.deployment.annotations().get(REVISION).map(String::as_str) == Some(revision)
        {
            return Ok(());
        }
        self.ctx.ensure_leader()?;
        let patch = json!({"metadata": {
            "resourceVersion": self.deployment.resource_version(),
            "annotations": {REVISION: revision},
        }});
        self.deployment = self
            .deployments
            .patch(&self.deployment.name_any(), &PatchParams::default(), &Patch::Merge(patch))
            .await
            .map_err(|e| {
                Error::api(format!("setting the revision of deployment {}", self.key()), e)
            })?;
        Ok(())
    }

    /// Writes `status` unless it is what the deployment has.
    pub async fn write_status(&mut self, status: DeploymentStatus) -> Result<(), Error> {
        if self.deployment.status.as_ref() == Some(&status) {
            return Ok(());
        }
        self.ctx.ensure_leader()?;
        let mut next = self.deployment.clone();
        next.status = Some(status);
        self.deployment = self
            .deployments
            .replace_status(&next.name_any(), &PostParams::default(), &next)
            .await
            .map_err(|e| {
                Error::api(format!("updating the status of deployment {}", self.key()), e)
            })?;
        Ok(())
    }

    /// Whether the rollout had completed as of the status read.
    pub fn complete(&self, _old: &[ReplicaSet], _new: Option<&ReplicaSet>) -> bool {
        let status = self.deployment.status.clone().unwrap_or_default();
        status::complete(&self.deployment, &status)
    }

    /// Deletes old ReplicaSets beyond the revision history limit.
    pub async fn cleanup(&self, old: &[ReplicaSet]) -> Result<(), Error> {
        for name in revision::history_to_delete(&self.deployment, old) {
            self.ctx.ensure_leader()?;
            match self.sets.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => return Err(Error::api(format!("deleting old replicaset {name}"), e)),
            }
        }
        Ok(())
    }

    /// Writes the status after a rollout step; requeues at the progress deadline.
    pub async fn rollout_status(
        &mut self,
        old: &[ReplicaSet],
        new: Option<&ReplicaSet>,
    ) -> Result<Action, Error> {
        let all: Vec<&ReplicaSet> = old.iter().chain(new).collect();
        let status = status::rollout(&self.deployment, &all, new, self.limits(), self.now);
        self.write_status(status).await?;
        let status = self.deployment.status.clone().unwrap_or_default();
        Ok(match status::check_deadline_in(&self.deployment, &status, self.now) {
            Some(wait) => Action::requeue(wait),
            None => Action::await_change(),
        })
    }

    /// Writes the counts and `Available` only (scaling, paused, being deleted).
    pub async fn sync_status(
        &mut self,
        old: &[ReplicaSet],
        new: Option<&ReplicaSet>,
    ) -> Result<Action, Error> {
        let all: Vec<&ReplicaSet> = old.iter().chain(new).collect();
        let status = status::calculate(&self.deployment, &all, new, self.limits(), self.now);
        self.write_status(status).await?;
        Ok(Action::await_change())
    }
}

fn has_deadline(deployment: &Deployment) -> bool {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .is_some_and(|s| s != i32::MAX)
}
