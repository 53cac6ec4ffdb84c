//! Persistent volumes: the PV/PVC binder and the local-path dynamic provisioner.

pub mod binder;
pub mod local_path;
