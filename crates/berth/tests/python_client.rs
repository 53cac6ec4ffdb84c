//! Black-box: the official Python Kubernetes client (`pip install kubernetes`) against a real
//! `berth server`. The suite itself is pytest under `tests/python/` at the repo root (start at its
//! `conftest.py`); this test runs it so that `cargo test --workspace` includes it, pointing it at
//! the binary cargo just built. Missing Python packages fail the test: `.ci/install-deps` installs
//! them from `tests/python/requirements.txt`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python(root: &Path, args: &[&str]) -> Output {
    Command::new("python3")
        .args(args)
        .current_dir(root)
        .env("BERTH_BIN", env!("CARGO_BIN_EXE_berth"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): install Python 3, then run .ci/install-deps")
        })
}

fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn official_python_client_suite_passes() {
    let root = repo_root();
    let probe = python(&root, &["-c", "import kubernetes, pytest"]);
    assert!(
        probe.status.success(),
        "the Python client suite needs the `kubernetes` and `pytest` packages: run .ci/install-deps \
         (or python3 -m pip install -r tests/python/requirements.txt)\n{}",
        printed(&probe)
    );

    let run = python(&root, &["-m", "pytest", "-q", "tests/python"]);
    assert!(
        run.status.success(),
        "pytest tests/python failed ({}):\n{}",
        run.status,
        printed(&run)
    );
    // Passing output still goes to the test log, visible with --nocapture.
    println!("{}", printed(&run));
}
