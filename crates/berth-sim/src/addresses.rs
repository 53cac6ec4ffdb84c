//! Made-up addresses for simulated nodes and their pods. Nothing ever connects to them.
//!
//! Node `i` gets the pod range `198.18.(i mod 256).0/24` (the pod network `berth server`
//! defaults to; ranges repeat past 256 nodes) and an InternalIP from the documentation ranges
//! (TEST-NET-1..3), then from the reserved 240.0.0.0/4 once those run out. [`PodIps`] hands out
//! each node's pod addresses, next-fit so a freed address is not reused at once.

use std::net::Ipv4Addr;

/// The pod range of node `index`: (network address, prefix length).
pub fn pod_cidr(index: usize) -> (Ipv4Addr, u8) {
    (Ipv4Addr::new(198, 18, (index % 256) as u8, 0), 24)
}

/// The InternalIP of node `index`: 192.0.2.1–254, 198.51.100.1–254, 203.0.113.1–254, then
/// 240.0.0.0/4 (never routed).
pub fn node_ip(index: usize) -> Ipv4Addr {
    const NETS: [[u8; 3]; 3] = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];
    if index < 3 * 254 {
        let [a, b, c] = NETS[index / 254];
        return Ipv4Addr::new(a, b, c, (index % 254) as u8 + 1);
    }
    let offset = (index - 3 * 254) as u32 % (1 << 28);
    Ipv4Addr::from(u32::from(Ipv4Addr::new(240, 0, 0, 1)) + offset)
}

/// The pod addresses of one node: `.2`–`.254` of its /24 (`.1` is the node's gateway).
#[derive(Debug, Clone)]
pub struct PodIps {
    network: Ipv4Addr,
    used: [bool; 256],
    next: u8,
}

const FIRST: u8 = 2;
const LAST: u8 = 254;

impl PodIps {
    pub fn for_node(index: usize) -> PodIps {
        PodIps { network: pod_cidr(index).0, used: [false; 256], next: FIRST }
    }

    /// The range as `198.18.i.0/24`.
    pub fn cidr(&self) -> String {
        format!("{}/24", self.network)
    }

    /// The next free address, or `None` when all 253 are taken.
    pub fn allocate(&mut self) -> Option<Ipv4Addr> {
        let span = usize::from(LAST - FIRST) + 1;
        for step in 0..span {
            let host = FIRST + ((usize::from(self.next - FIRST) + step) % span) as u8;
            if !self.used[usize::from(host)] {
                self.used[usize::from(host)] = true;
                self.next = if host == LAST { FIRST } else { host + 1 };
                return Some(self.address(host));
            }
        }
        None
    }

    /// Marks an address found on an existing pod as taken; false when it is not in this range.
    pub fn reserve(&mut self, ip: Ipv4Addr) -> bool {
        match self.host(ip) {
            Some(host) => {
                self.used[usize::from(host)] = true;
                true
            }
            None => false,
        }
    }

    /// Gives an address back (ignored when it is not ours).
    pub fn release(&mut self, ip: Ipv4Addr) {
        if let Some(host) = self.host(ip) {
            self.used[usize::from(host)] = false;
        }
    }

    fn address(&self, host: u8) -> Ipv4Addr {
        let [a, b, c, _] = self.network.octets();
        Ipv4Addr::new(a, b, c, host)
    }

    fn host(&self, ip: Ipv4Addr) -> Option<u8> {
        let [a, b, c, d] = ip.octets();
        let [na, nb, nc, _] = self.network.octets();
        ((a, b, c) == (na, nb, nc) && (FIRST..=LAST).contains(&d)).then_some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ranges_and_addresses() {
        let cases = [
            (0, "198.18.0.0", "192.0.2.1"),
            (1, "198.18.1.0", "192.0.2.2"),
            (253, "198.18.253.0", "192.0.2.254"),
            (254, "198.18.254.0", "198.51.100.1"),
            (256, "198.18.0.0", "198.51.100.3"),
            (761, "198.18.249.0", "203.0.113.254"),
            (762, "198.18.250.0", "240.0.0.1"),
            (762 + 255, "198.18.249.0", "240.0.1.0"),
        ];
        for (index, cidr, ip) in cases {
            assert_eq!(pod_cidr(index).0.to_string(), cidr, "{index}");
            assert_eq!(node_ip(index).to_string(), ip, "{index}");
        }
    }

    #[test]
    fn allocation_is_next_fit_and_ends_when_the_range_is_full() {
        let mut ips = PodIps::for_node(3);
        assert_eq!(ips.cidr(), "198.18.3.0/24");
        assert_eq!(ips.allocate(), Some(Ipv4Addr::new(198, 18, 3, 2)));
        assert_eq!(ips.allocate(), Some(Ipv4Addr::new(198, 18, 3, 3)));
        ips.release(Ipv4Addr::new(198, 18, 3, 2));
        // The freed address waits until the range wraps.
        assert_eq!(ips.allocate(), Some(Ipv4Addr::new(198, 18, 3, 4)));
        let mut taken = 3;
        while ips.allocate().is_some() {
            taken += 1;
        }
        // .2 was freed and handed out again on the wrap: 253 addresses in all, .0/.1/.255 never.
        assert_eq!(taken, 254);
        assert_eq!(ips.allocate(), None);
        ips.release(Ipv4Addr::new(198, 18, 3, 100));
        assert_eq!(ips.allocate(), Some(Ipv4Addr::new(198, 18, 3, 100)));
    }

    #[test]
    fn reserve_takes_only_addresses_of_this_range() {
        let mut ips = PodIps::for_node(0);
        assert!(ips.reserve(Ipv4Addr::new(198, 18, 0, 2)));
        assert!(!ips.reserve(Ipv4Addr::new(198, 18, 1, 2)));
        assert!(!ips.reserve(Ipv4Addr::new(198, 18, 0, 1)));
        assert_eq!(ips.allocate(), Some(Ipv4Addr::new(198, 18, 0, 3)));
    }
}
