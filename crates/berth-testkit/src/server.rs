//! A real `berth server` process for black-box tests: started on a free port with its own data
//! dir, ready once its kubeconfig appears, killed (and reaped) when dropped. [`BerthServer::kubectl`]
//! runs the real kubectl against it with a private cache dir.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The workspace's `berth` binary for tests of other crates: `$BERTH_BIN`, else the one beside
/// the running test (`<target>/<profile>/deps/<test>` → `<target>/<profile>/berth`, whatever
/// `CARGO_TARGET_DIR` is), built with cargo first if it is not there yet (as when one crate's
/// tests run alone).
pub fn berth_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("BERTH_BIN") {
        return Ok(path.into());
    }
    let exe = std::env::current_exe().context("finding the test binary")?;
    let profile_dir = exe.parent().and_then(Path::parent).context("the test binary's directory")?;
    let binary = profile_dir.join("berth");
    if binary.exists() {
        return Ok(binary);
    }
    let target = profile_dir.parent().context("the target directory")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "-p", "berth", "--bin", "berth"]).env("CARGO_TARGET_DIR", target);
    if profile_dir.file_name().is_some_and(|name| name == "release") {
        build.arg("--release");
    }
    let status = build.status().context("building berth")?;
    if !status.success() || !binary.exists() {
        bail!("{} is missing and building it failed: run `cargo build -p berth`", binary.display());
    }
    Ok(binary)
}

/// A running `berth server`.
#[derive(Debug)]
pub struct BerthServer {
    child: Option<Child>,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    binary: PathBuf,
    extra: Vec<String>,
}

impl BerthServer {
    /// Starts `binary server --data-dir <tmp> --https-listen-port 0 --disable-agent <extra>` and
    /// waits (up to 30 s) for the kubeconfig it writes once ready.
    pub fn start(binary: &Path, extra: &[&str]) -> anyhow::Result<BerthServer> {
        let dir = crate::temp_dir("berth-server")?;
        let kubeconfig = dir.path().join("data").join("kubeconfig.yaml");
        let mut server = BerthServer {
            child: None,
            dir,
            kubeconfig,
            binary: binary.to_owned(),
            extra: extra.iter().map(|&a| a.to_owned()).collect(),
        };
        server.launch()?;
        Ok(server)
    }

    /// Kills the server (SIGKILL, mid-whatever it was doing) and starts it again on the same
    /// data dir with the same flags; waits until it is ready again (on a new port).
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.launch()
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let data_dir = self.dir.path().join("data");
        let _ = std::fs::remove_file(&self.kubeconfig);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .context("server log")?;
        let child = Command::new(&self.binary)
            .arg("server")
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--https-listen-port", "0", "--disable-agent"])
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("server log")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.kubeconfig.exists() {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("checking the server")?
            {
                bail!("berth server exited with {status}:\n{}", self.log());
            }
            if Instant::now() > deadline {
                bail!("berth server wrote no kubeconfig within 30 s:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The server's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A directory that lives as long as the server, for test files.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }

    /// The server URL from the kubeconfig.
    pub fn url(&self) -> anyhow::Result<String> {
        let config = std::fs::read_to_string(&self.kubeconfig).context("reading the kubeconfig")?;
        config
            .lines()
            .find_map(|l| l.trim().strip_prefix("server: "))
            .map(str::to_owned)
            .context("no server in the kubeconfig")
    }

    /// A kubectl command pointed at this server (private discovery cache, no other config).
    pub fn kubectl_command(&self) -> Command {
        let mut command = Command::new("kubectl");
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", &self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("kube-cache"));
        command
    }

    /// Runs kubectl with `args` and returns its output (whatever the exit status).
    pub fn kubectl(&self, args: &[&str]) -> anyhow::Result<Output> {
        self.kubectl_command().args(args).output().context("running kubectl")
    }

    /// Stops the server (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for BerthServer {
    fn drop(&mut self) {
        self.kill();
    }
}
