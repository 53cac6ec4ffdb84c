//! Helpers shared by the black-box tests: a real `berth server` and the real kubectl against it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use berth_testkit::BerthServer;
use serde_json::Value;

/// The API server alone (no scheduler, no controllers), for tests of API semantics that
/// controllers would otherwise act on (finalizers held, namespaces left terminating, …).
pub fn server(extra: &[&str]) -> BerthServer {
    let mut args = vec!["--disable-scheduler", "--disable-controller-manager"];
    args.extend_from_slice(extra);
    cluster_server(&args)
}

/// A whole control plane: API server, scheduler and controllers.
pub fn cluster_server(extra: &[&str]) -> BerthServer {
    BerthServer::start(Path::new(env!("CARGO_BIN_EXE_berth")), extra).expect("start berth server")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs kubectl and fails the test with its output when it fails.
pub fn ok(server: &BerthServer, args: &[&str]) -> String {
    let output = server.kubectl(args).expect("kubectl");
    assert!(
        output.status.success(),
        "kubectl {} failed: {}{}\nserver log:\n{}",
        args.join(" "),
        stdout(&output),
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    stdout(&output)
}

/// Runs kubectl expecting failure; returns stderr.
pub fn fails(server: &BerthServer, args: &[&str]) -> String {
    let output = server.kubectl(args).expect("kubectl");
    assert!(
        !output.status.success(),
        "kubectl {} should fail: {}",
        args.join(" "),
        stdout(&output)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(server: &BerthServer, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    serde_json::from_str(&ok(server, &all)).expect("kubectl printed JSON")
}

pub fn write(server: &BerthServer, name: &str, contents: &str) -> String {
    let path = server.scratch().join(name);
    std::fs::write(&path, contents).expect("write manifest");
    path.display().to_string()
}

/// `(body, HTTP status code)` of a raw request through curl.
pub fn curl(args: &[&str]) -> (String, String) {
    let output = std::process::Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or((&text, ""));
    (body.to_owned(), code.to_owned())
}
