//! Test-only fixtures for berth: real etcd processes on loopback and temporary
//! data dirs, for integration tests and benchmarks. Nothing here is meant for
//! production code. The fixtures run Debian's `etcd-server` (binary `etcd` on
//! `PATH`), each member on ephemeral 127.0.0.1 ports with its own data dir and
//! log file under one temporary directory that is removed on drop. Start at
//! [`EtcdCluster::start`].

// Fixtures poll child processes and HTTP endpoints with short blocking sleeps;
// there is no async runtime here to block, so std::thread::sleep is fine.
#![allow(clippy::disallowed_methods)]

mod server;
pub use server::{BerthServer, berth_binary};
pub use tempfile::TempDir;

use anyhow::{Context, bail};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const START_TIMEOUT: Duration = Duration::from_secs(20);
const LEADER_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);
const START_ATTEMPTS: usize = 3;

/// Returns true if an executable `etcd` is on `PATH`.
pub fn etcd_available() -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join("etcd"))
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    })
}

/// Creates a temporary directory under [`std::env::temp_dir`] whose name starts with `prefix`.
pub fn temp_dir(prefix: &str) -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(std::env::temp_dir())
        .with_context(|| format!("creating temp dir with prefix {prefix:?}"))
}

/// One etcd member: its fixed command line, ports, log file and (if running) process.
#[derive(Debug)]
struct Member {
    client_port: u16,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

/// A running etcd cluster of real `etcd` processes on 127.0.0.1. Members are
/// SIGKILLed and reaped, and the data dirs removed, on drop.
#[derive(Debug)]
pub struct EtcdCluster {
    members: Vec<Member>,
    dir: tempfile::TempDir,
}

impl EtcdCluster {
    /// Starts `members` etcd members on 127.0.0.1 with ephemeral ports and waits
    /// (up to 20 s) until every member reports healthy.
    pub fn start(members: usize) -> anyhow::Result<EtcdCluster> {
        Self::start_with(members, &[])
    }

    /// Like [`EtcdCluster::start`], passing `extra_args` to every member.
    pub fn start_with(members: usize, extra_args: &[&str]) -> anyhow::Result<EtcdCluster> {
        if !etcd_available() {
            bail!("etcd not found on PATH: install Debian's etcd-server");
        }
        if members == 0 {
            bail!("an etcd cluster needs at least one member");
        }
        let mut attempt = 1;
        loop {
            match Self::try_start(members, extra_args) {
                Ok(cluster) => return Ok(cluster),
                Err(e)
                    if attempt < START_ATTEMPTS
                        && format!("{e:#}").contains("address already in use") =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn try_start(n: usize, extra_args: &[&str]) -> anyhow::Result<EtcdCluster> {
        let dir = temp_dir("berth-etcd-")?;
        // Hold every listener until all ports are chosen so no two collide.
        let listeners = (0..2 * n)
            .map(|_| TcpListener::bind("127.0.0.1:0").context("binding an ephemeral port"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let ports = listeners
            .iter()
            .map(|l| Ok(l.local_addr().context("reading ephemeral port")?.port()))
            .collect::<anyhow::Result<Vec<u16>>>()?;
        let (client, peer) = ports.split_at(n);
        let initial_cluster = (0..n)
            .map(|i| format!("m{i}=http://127.0.0.1:{}", peer[i]))
            .collect::<Vec<_>>()
            .join(",");
        let token = cluster_token();
        let members = (0..n)
            .map(|i| {
                let c = format!("http://127.0.0.1:{}", client[i]);
                let p = format!("http://127.0.0.1:{}", peer[i]);
                let (name, data) = (format!("m{i}"), dir.path().join(format!("m{i}")));
                #[rustfmt::skip]
                let flags = [
                    ("--name", name.as_str()), ("--data-dir", &data.to_string_lossy()),
                    ("--listen-client-urls", &c), ("--advertise-client-urls", &c),
                    ("--listen-peer-urls", &p), ("--initial-advertise-peer-urls", &p),
                    ("--initial-cluster", &initial_cluster), ("--initial-cluster-token", &token),
                    ("--initial-cluster-state", "new"), ("--logger", "zap"), ("--log-outputs", "stderr"),
                    ("--heartbeat-interval", "50"), ("--election-timeout", "500"),
                ];
                let mut args: Vec<String> =
                    flags.iter().flat_map(|(f, v)| [f.to_string(), v.to_string()]).collect();
                args.extend(extra_args.iter().map(|s| s.to_string()));
                let log = dir.path().join(format!("m{i}.log"));
                Member {
                    client_port: client[i],
                    args,
                    log,
                    child: None,
                }
            })
            .collect();
        let mut cluster = EtcdCluster { members, dir };
        drop(listeners);
        for i in 0..n {
            cluster.spawn(i)?;
        }
        for i in 0..n {
            cluster.wait_started(i, START_TIMEOUT)?;
        }
        Ok(cluster)
    }

    fn spawn(&mut self, i: usize) -> anyhow::Result<()> {
        let m = &mut self.members[i];
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&m.log)
            .with_context(|| format!("opening {}", m.log.display()))?;
        let log2 = log.try_clone().context("duplicating log file handle")?;
        let mut cmd = Command::new("etcd");
        cmd.args(&m.args).stdin(Stdio::null()).stdout(Stdio::from(log)).stderr(Stdio::from(log2));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ETCD_") {
                cmd.env_remove(key);
            }
        }
        m.child = Some(cmd.spawn().with_context(|| format!("spawning etcd member m{i}"))?);
        Ok(())
    }

    /// Waits for member `i` to become healthy, failing early if any member's process exits.
    fn wait_started(&mut self, i: usize, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            for (j, m) in self.members.iter_mut().enumerate() {
                let Some(child) = m.child.as_mut() else {
                    continue;
                };
                if let Some(status) = child.try_wait().context("polling etcd process")? {
                    m.child = None;
                    let tail = log_tail(&m.log);
                    bail!("etcd member m{j} exited with {status}; log tail:\n{tail}");
                }
            }
            let m = &self.members[i];
            if healthy(m.client_port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.unhealthy_error(i, timeout));
            }
            std::thread::sleep(POLL);
        }
    }

    fn unhealthy_error(&self, i: usize, timeout: Duration) -> anyhow::Error {
        let m = &self.members[i];
        anyhow::anyhow!(
            "etcd member m{i} ({}) not healthy after {timeout:?}; log tail:\n{}",
            self.endpoint(i),
            log_tail(&m.log)
        )
    }

    /// Client URLs of all members, comma-separated.
    pub fn endpoints(&self) -> String {
        (0..self.len()).map(|i| self.endpoint(i)).collect::<Vec<_>>().join(",")
    }

    /// Client URL of member `member`.
    pub fn endpoint(&self, member: usize) -> String {
        format!("http://127.0.0.1:{}", self.members[member].client_port)
    }

    /// Number of members (running or killed).
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True if the cluster has no members (never, for a started cluster).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The temporary directory holding every member's data dir and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id of a running member (to pause it with SIGSTOP, say).
    pub fn pid(&self, member: usize) -> Option<u32> {
        self.members[member].child.as_ref().map(Child::id)
    }

    /// SIGKILLs member `member` and reaps it. No-op if it is already stopped.
    pub fn kill(&mut self, member: usize) -> anyhow::Result<()> {
        if let Some(mut child) = self.members[member].child.take() {
            // kill() fails only if the child already exited; wait() reaps either way.
            let _ = child.kill();
            child.wait().with_context(|| format!("reaping etcd member m{member}"))?;
        }
        Ok(())
    }

    /// Restarts a killed member with the same name, ports and data dir, and
    /// waits (up to 20 s) until it is healthy. No-op if it is running.
    pub fn restart(&mut self, member: usize) -> anyhow::Result<()> {
        if self.members[member].child.is_none() {
            self.spawn(member)?;
        }
        self.wait_started(member, START_TIMEOUT)
    }

    /// Index of the current leader, asked of every running member's
    /// `/v3/maintenance/status`. Retries up to 10 s while there is no leader.
    pub fn leader(&self) -> anyhow::Result<usize> {
        let deadline = Instant::now() + LEADER_TIMEOUT;
        loop {
            for (i, m) in self.members.iter().enumerate() {
                if m.child.is_none() {
                    continue;
                }
                let Ok(resp) = http(m.client_port, "POST", "/v3/maintenance/status", "{}") else {
                    continue;
                };
                let id = json_str(&resp, "member_id");
                let leader = json_str(&resp, "leader");
                if let (Some(id), Some(leader)) = (id, leader)
                    && id == leader
                    && leader != "0"
                {
                    return Ok(i);
                }
            }
            if Instant::now() >= deadline {
                bail!("no etcd leader among running members after {LEADER_TIMEOUT:?}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until member `member` answers `/health` with `{"health":"true"}`.
    pub fn wait_healthy(&self, member: usize, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while !healthy(self.members[member].client_port) {
            if Instant::now() >= deadline {
                return Err(self.unhealthy_error(member, timeout));
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            let _ = self.kill(i);
        }
    }
}

/// A token unique to this cluster, so members never join a stray cluster.
fn cluster_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("berth-test-{}-{n}-{nanos}", std::process::id())
}

fn healthy(port: u16) -> bool {
    http(port, "GET", "/health", "").is_ok_and(|r| r.contains(r#""health":"true""#))
}

/// A minimal HTTP/1.0 request; returns the whole response (status line, headers, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> anyhow::Result<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_secs(1);
    let mut s = TcpStream::connect_timeout(&addr, timeout).context("connecting")?;
    s.set_read_timeout(Some(timeout)).context("setting read timeout")?;
    s.set_write_timeout(Some(timeout)).context("setting write timeout")?;
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).context("sending request")?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).context("reading response")?;
    Ok(resp)
}

/// The string value of the first `"key":"value"` in `json` (no serde needed).
fn json_str<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":\"");
    let start = json.find(&pat)? + pat.len();
    let len = json[start..].find('"')?;
    Some(&json[start..start + len])
}

/// The last ~40 lines of a member's log, for error messages.
fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Err(e) = File::open(path).and_then(|mut f| f.read_to_string(&mut text)) {
        return format!("(cannot read {}: {e})", path.display());
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_member_kill_restart() -> anyhow::Result<()> {
        let mut c = EtcdCluster::start(1)?;
        assert_eq!(c.len(), 1);
        assert_eq!(c.endpoints(), c.endpoint(0));
        assert!(healthy(c.members[0].client_port));
        c.kill(0)?;
        c.kill(0)?; // no-op
        assert!(!healthy(c.members[0].client_port));
        c.restart(0)?;
        c.wait_healthy(0, Duration::from_secs(5))?;
        assert_eq!(c.leader()?, 0);
        Ok(())
    }

    #[test]
    fn three_members_leader_failover() -> anyhow::Result<()> {
        let mut c = EtcdCluster::start_with(3, &["--max-request-bytes", "2097152"])?;
        assert_eq!(c.endpoints().split(',').count(), 3);
        let old = c.leader()?;
        c.kill(old)?;
        let new = c.leader()?;
        assert_ne!(old, new);
        c.wait_healthy(new, Duration::from_secs(10))?;
        Ok(())
    }

    #[test]
    fn failed_start_reports_log_tail() {
        let err = EtcdCluster::start_with(1, &["--no-such-flag"]).expect_err("bad flag");
        let msg = format!("{err:#}");
        assert!(msg.contains("exited with") && msg.contains("no-such-flag"), "{msg}");
    }

    #[test]
    fn json_str_parses_status() {
        let s = r#"{"header":{"cluster_id":"1","member_id":"42","revision":"1"},"leader":"42"}"#;
        assert_eq!(json_str(s, "member_id"), Some("42"));
        assert_eq!(json_str(s, "leader"), Some("42"));
        assert_eq!(json_str(s, "missing"), None);
    }
}
