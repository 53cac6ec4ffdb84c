//! Service addresses: cluster IPs from the service CIDR and node ports from 30000–32767.
//!
//! Each address in use is a reservation key in the store (`/registry/ranges/serviceips/<ip>`,
//! `/registry/ranges/servicenodeports/<port>`) holding the owning service's `namespace/name`.
//! Reserving is a store `create`, which fails when the key exists, so one address is never
//! handed out twice, even by two API servers sharing one etcd. A service's reservations are
//! removed when the service is.

use std::net::Ipv4Addr;

use berth_store::{Store, StoreError};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::status::{ApiError, Cause};

const IP_PREFIX: &str = "/registry/ranges/serviceips/";
const PORT_PREFIX: &str = "/registry/ranges/servicenodeports/";
pub const NODE_PORTS: std::ops::RangeInclusive<u16> = 30000..=32767;

/// An IPv4 range such as `198.19.0.0/16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub base: u32,
    pub bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (ip, bits) = s.split_once('/').ok_or_else(|| format!("{s:?} is not a CIDR"))?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| format!("{s:?}: bad address"))?;
        let bits: u8 = bits.parse().map_err(|_| format!("{s:?}: bad prefix length"))?;
        if !(8..=30).contains(&bits) {
            return Err(format!("{s:?}: the prefix length must be 8 to 30"));
        }
        let mask = u32::MAX << (32 - bits);
        Ok(Cidr { base: u32::from(ip) & mask, bits })
    }

    fn size(&self) -> u32 {
        1 << (32 - self.bits)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::MAX << (32 - self.bits);
        u32::from(ip) & mask == self.base
    }

    /// The address at `offset` from the start of the range.
    pub fn nth(&self, offset: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.base + offset)
    }
}

/// What a service holds, as reservations.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Held {
    pub ip: Option<Ipv4Addr>,
    pub ports: Vec<u16>,
}

fn owner(service: &Value) -> String {
    let ns = crate::meta::meta_str(service, "namespace").unwrap_or_default();
    let name = crate::meta::meta_str(service, "name").unwrap_or_default();
    format!("{ns}/{name}")
}

fn is_headless_or_external(service: &Value) -> bool {
    let spec = service.get("spec");
    let kind = spec.and_then(|s| s.get("type")).and_then(Value::as_str).unwrap_or("ClusterIP");
    kind == "ExternalName"
        || spec.and_then(|s| s.get("clusterIP")).and_then(Value::as_str) == Some("None")
}

fn wants_node_ports(service: &Value) -> bool {
    matches!(
        service.pointer("/spec/type").and_then(Value::as_str),
        Some("NodePort" | "LoadBalancer")
    )
}

async fn reserve(store: &dyn Store, key: String, owner: &str) -> Result<bool, ApiError> {
    match store.create(&key, Bytes::from(owner.to_owned())).await {
        Ok(_) => Ok(true),
        Err(StoreError::AlreadyExists { current, .. }) => {
            // Ours already (an update re-reserving what it holds) counts as reserved.
            Ok(current.is_some_and(|kv| kv.value == owner.as_bytes()))
        }
        Err(e) => Err(ApiError::internal(format!("reserving a service address: {e}"))),
    }
}

/// Gives `service` a cluster IP and node ports where it needs them, reserving every address
/// it names. On error nothing stays reserved.
pub async fn allocate(
    store: &dyn Store,
    range: Cidr,
    service: &mut Value,
    old: Option<&Value>,
) -> Result<Held, ApiError> {
    let owner = owner(service);
    let mut held = Held::default();
    let result = allocate_into(store, range, service, old, &owner, &mut held).await;
    if let Err(error) = result {
        release(store, &held, &owner).await;
        return Err(error);
    }
    Ok(held)
}

async fn allocate_into(
    store: &dyn Store,
    range: Cidr,
    service: &mut Value,
    old: Option<&Value>,
    owner: &str,
    held: &mut Held,
) -> Result<(), ApiError> {
    let name = crate::meta::meta_str(service, "name").unwrap_or_default().to_owned();
    let invalid = |field: &str, message: String| {
        let def = crate::resources::find("", "v1", "services");
        let cause = Cause::invalid(field, message);
        match def {
            Some(def) => ApiError::invalid(def, "Service", &name, vec![cause]),
            None => ApiError::bad_request(cause.message),
        }
    };
    let old_ip =
        old.and_then(|o| o.pointer("/spec/clusterIP")).and_then(Value::as_str).map(str::to_owned);
    let headless = is_headless_or_external(service);
    let Some(spec) = service.get_mut("spec").and_then(Value::as_object_mut) else { return Ok(()) };
    let asked = spec.get("clusterIP").and_then(Value::as_str).unwrap_or_default().to_owned();
    if let Some(old_ip) = &old_ip {
        if !asked.is_empty() && asked != *old_ip {
            return Err(invalid(
                "spec.clusterIPs[0]",
                format!("Invalid value: {:?}: may not change once set", asked),
            ));
        }
        spec.insert("clusterIP".into(), json!(old_ip));
        spec.insert("clusterIPs".into(), json!([old_ip]));
    } else if !headless {
        let ip = if asked.is_empty() {
            pick_ip(store, range, owner).await?
        } else {
            let ip: Ipv4Addr = asked.parse().map_err(|_| {
                invalid(
                    "spec.clusterIPs[0]",
                    format!("Invalid value: {asked:?}: must be a valid IP address"),
                )
            })?;
            if !range.contains(ip) {
                return Err(invalid(
                    "spec.clusterIPs[0]",
                    format!(
                        "Invalid value: {asked:?}: provided IP is not in the valid range. The range of valid IPs is {}/{}",
                        Ipv4Addr::from(range.base),
                        range.bits
                    ),
                ));
            }
            if !reserve(store, format!("{IP_PREFIX}{ip}"), owner).await? {
                return Err(invalid(
                    "spec.clusterIPs",
                    format!(
                        "Invalid value: [{asked:?}]: failed to allocate IP {asked}: provided IP is already allocated"
                    ),
                ));
            }
            ip
        };
        held.ip = Some(ip);
        spec.insert("clusterIP".into(), json!(ip.to_string()));
        spec.insert("clusterIPs".into(), json!([ip.to_string()]));
        spec.entry("ipFamilies").or_insert_with(|| json!(["IPv4"]));
        spec.entry("ipFamilyPolicy").or_insert_with(|| json!("SingleStack"));
    }
    if !wants_node_ports(service) {
        return Ok(());
    }
    let Some(ports) = service.pointer_mut("/spec/ports").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for (index, port) in ports.iter_mut().enumerate() {
        let Some(port) = port.as_object_mut() else { continue };
        let number = match port.get("nodePort").and_then(Value::as_u64) {
            Some(n) if n > 0 => {
                let n = u16::try_from(n).ok().filter(|n| NODE_PORTS.contains(n)).ok_or_else(|| {
                    invalid(&format!("spec.ports[{index}].nodePort"), format!("Invalid value: {n}: provided port is not in the valid range. The range of valid ports is 30000-32767"))
                })?;
                if !reserve(store, format!("{PORT_PREFIX}{n}"), owner).await? {
                    return Err(invalid(
                        &format!("spec.ports[{index}].nodePort"),
                        format!("Invalid value: {n}: provided port is already allocated"),
                    ));
                }
                n
            }
            _ => pick_port(store, owner).await?,
        };
        held.ports.push(number);
        port.insert("nodePort".into(), json!(number));
    }
    Ok(())
}

async fn pick_ip(store: &dyn Store, range: Cidr, owner: &str) -> Result<Ipv4Addr, ApiError> {
    // Skip the network address, the first address (kept for the API server's own service)
    // and the broadcast address.
    let usable = range.size().saturating_sub(3).max(1);
    let start = fastrand::u32(..usable);
    for step in 0..usable.min(4096) {
        let ip = range.nth(2 + (start + step) % usable);
        if reserve(store, format!("{IP_PREFIX}{ip}"), owner).await? {
            return Ok(ip);
        }
    }
    Err(ApiError::internal("no free cluster IP in the service range"))
}

async fn pick_port(store: &dyn Store, owner: &str) -> Result<u16, ApiError> {
    let count = u32::from(NODE_PORTS.end() - NODE_PORTS.start()) + 1;
    let start = fastrand::u32(..count);
    for step in 0..count {
        let port = NODE_PORTS.start() + ((start + step) % count) as u16;
        if reserve(store, format!("{PORT_PREFIX}{port}"), owner).await? {
            return Ok(port);
        }
    }
    Err(ApiError::internal("no free node port"))
}

/// The addresses a stored service holds.
pub fn held_by(service: &Value) -> Held {
    let ip =
        service.pointer("/spec/clusterIP").and_then(Value::as_str).and_then(|s| s.parse().ok());
    let ports = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|ports| {
            ports
                .iter()
                .filter_map(|p| p.get("nodePort")?.as_u64())
                .filter_map(|n| u16::try_from(n).ok())
                .collect()
        })
        .unwrap_or_default();
    Held { ip, ports }
}

/// Releases the reservations `held` that still belong to `owner`.
pub async fn release(store: &dyn Store, held: &Held, owner: &str) {
    let keys = held
        .ip
        .iter()
        .map(|ip| format!("{IP_PREFIX}{ip}"))
        .chain(held.ports.iter().map(|p| format!("{PORT_PREFIX}{p}")));
    for key in keys {
        if let Ok(kv) = store.get(&key).await
            && kv.value == owner.as_bytes()
            && let Err(error) = store.delete(&key, Some(kv.mod_revision)).await
        {
            tracing::warn!(%error, key, "releasing a service address");
        }
    }
}

/// Releases what a deleted service held.
pub async fn released(store: &dyn Store, service: &Value) {
    release(store, &held_by(service), &owner(service)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_store::memory::MemoryStore;

    fn service(name: &str, spec: Value) -> Value {
        json!({"metadata": {"name": name, "namespace": "default"}, "spec": spec})
    }

    #[tokio::test]
    async fn cluster_ips_are_unique_and_released() {
        let store = MemoryStore::new();
        let range = Cidr::parse("198.19.0.0/29").expect("cidr");
        let mut ips = Vec::new();
        for i in 0..5 {
            let mut svc = service(&format!("s{i}"), json!({"ports": [{"port": 80}]}));
            let held = allocate(&store, range, &mut svc, None).await.expect("allocate");
            ips.push(held.ip.expect("an ip"));
            assert!(range.contains(held.ip.expect("ip")));
        }
        let first_ip = ips[0];
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), 5, "five distinct addresses");
        let mut full = service("full", json!({}));
        assert!(allocate(&store, range, &mut full, None).await.is_err(), "the /29 is used up");
        let first = service("s0", json!({"clusterIP": first_ip.to_string()}));
        released(&store, &first).await;
        let mut again = service("again", json!({}));
        assert_eq!(
            allocate(&store, range, &mut again, None).await.expect("reuse").ip,
            Some(first_ip)
        );
    }

    #[tokio::test]
    async fn explicit_addresses_and_node_ports() {
        let store = MemoryStore::new();
        let range = Cidr::parse("198.19.0.0/16").expect("cidr");
        let mut a = service(
            "a",
            json!({"type": "NodePort", "clusterIP": "198.19.5.5", "ports": [{"port": 80, "nodePort": 30080}, {"port": 81}]}),
        );
        let held = allocate(&store, range, &mut a, None).await.expect("allocate");
        assert_eq!(held.ip, Some(Ipv4Addr::new(198, 19, 5, 5)));
        assert_eq!(held.ports[0], 30080);
        assert!(NODE_PORTS.contains(&held.ports[1]));
        let mut b = service("b", json!({"clusterIP": "198.19.5.5"}));
        let error = allocate(&store, range, &mut b, None).await.expect_err("taken");
        assert!(error.message.contains("already allocated"), "{}", error.message);
        let mut c = service("c", json!({"clusterIP": "10.0.0.1"}));
        assert!(
            allocate(&store, range, &mut c, None)
                .await
                .expect_err("outside")
                .message
                .contains("valid range")
        );
        let mut d =
            service("d", json!({"type": "NodePort", "ports": [{"port": 1, "nodePort": 30080}]}));
        assert!(allocate(&store, range, &mut d, None).await.is_err());
        // A failed allocation leaves nothing behind: d's cluster IP was released.
        let listed = store.list(&berth_store::ListOptions::prefix(IP_PREFIX)).await.expect("list");
        assert_eq!(listed.kvs.len(), 1);
        let mut headless = service("h", json!({"clusterIP": "None"}));
        assert_eq!(
            allocate(&store, range, &mut headless, None).await.expect("headless"),
            Held::default()
        );
    }
}
