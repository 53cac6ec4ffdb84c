//! A `berth server` child process for the benchmarks, and a minimal keep-alive HTTP/1.1 client
//! that talks to it without any of the client libraries' overhead.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// One keep-alive HTTP/1.1 connection to the API server.
pub struct Client {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Client {
    pub async fn connect(address: &str) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(address).await.context("connecting to the API server")?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { sender })
    }

    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "berth")
            .header("content-type", "application/json")
            .body(Full::new(bytes))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    /// Starts a GET whose body arrives over time (a watch); returns the body to read frames from.
    pub async fn stream(&mut self, path: &str) -> anyhow::Result<hyper::body::Incoming> {
        let request =
            Request::builder().uri(path).header("host", "berth").body(Full::new(Bytes::new()))?;
        self.sender.ready().await?;
        Ok(self.sender.send_request(request).await?.into_body())
    }

    pub async fn expect(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        want: u16,
    ) -> anyhow::Result<Bytes> {
        let (status, bytes) = self.call(method, path, body).await?;
        if status != want {
            bail!("{path}: status {status}, want {want}: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(bytes)
    }
}

/// Creates pods `pod-000000`, `pod-000001`, … up to `count` in `namespace` over 64 connections,
/// each body from `body(name, namespace)`; returns the JSON size of what the server stored.
pub async fn create_pods(
    address: &str,
    namespace: &str,
    count: usize,
    body: fn(&str, &str) -> Value,
) -> anyhow::Result<u64> {
    let loaders = 64.min(count.max(1));
    let mut tasks = tokio::task::JoinSet::new();
    for loader in 0..loaders {
        let address = address.to_owned();
        let namespace = namespace.to_owned();
        tasks.spawn(async move {
            let mut client = Client::connect(&address).await?;
            let path = format!("/api/v1/namespaces/{namespace}/pods");
            let mut bytes = 0u64;
            for i in (loader..count).step_by(loaders) {
                let pod = body(&format!("pod-{i:06}"), &namespace);
                bytes += client.expect(Method::POST, &path, Some(&pod), 201).await?.len() as u64;
            }
            Ok::<_, anyhow::Error>(bytes)
        });
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done??;
    }
    Ok(total)
}

/// A `berth server` child process.
pub struct ServerProcess {
    child: Child,
    pub address: String,
    _dir: Option<berth_testkit::TempDir>,
}

impl ServerProcess {
    /// A server on a fresh temporary data dir, removed when the process is dropped.
    pub async fn start(extra: &[&str]) -> anyhow::Result<Self> {
        let dir = berth_testkit::temp_dir("berth-bench")?;
        let data = dir.path().join("data");
        let mut server = ServerProcess::start_in(&data, extra).await?;
        server._dir = Some(dir);
        Ok(server)
    }

    /// A server on `data` (kept), so that a second process can restart on the same state.
    pub async fn start_in(data: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        let kubeconfig = data.join("kubeconfig.yaml");
        let _ = std::fs::remove_file(&kubeconfig);
        let exe = std::env::current_exe().context("finding the berth binary")?;
        let child = Command::new(exe)
            .arg("server")
            .arg("--data-dir")
            .arg(data)
            .args(["--https-listen-port", "0", "--disable-agent"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting berth server")?;
        let started = Instant::now();
        while !kubeconfig.exists() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("berth server did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let config = std::fs::read_to_string(&kubeconfig)?;
        let address = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("server: http://"))
            .context("no server address in the kubeconfig")?
            .to_owned();
        Ok(ServerProcess { child, address, _dir: None })
    }

    pub fn rss_bytes(&self) -> u64 {
        rss_of(self.child.id())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))
        .unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
