"""Black-box tests of `berth server` through the official Python Kubernetes client.

One server per pytest session: the `berth` fixture starts the binary from `BERTH_BIN`
(default `$CARGO_TARGET_DIR/debug/berth`, else `target/debug/berth` under the repo root) with its
own data dir and a free port, waits for the kubeconfig it writes once ready, and kills it by PID at
the end. Each test gets its own namespace from the `namespace` fixture, so tests do not see each
other's objects. When a test fails, the tail of the server's log is attached to its report.

`crates/berth/tests/python_client.rs` runs this suite as part of `cargo test --workspace`.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from kubernetes import client, config, dynamic

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30
LOG_TAIL_LINES = 60

SERVER = pytest.StashKey["Berth"]()


def berth_binary() -> Path:
    """The `berth` binary under test, following the same rules as cargo's build layout."""
    if explicit := os.environ.get("BERTH_BIN"):
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or "target")
    if not target.is_absolute():
        target = REPO_ROOT / target
    return target / "debug" / "berth"


@dataclasses.dataclass
class Berth:
    """A running `berth server` and where it keeps its files."""

    process: subprocess.Popen
    dir: Path
    kubeconfig: Path
    log: Path

    def log_tail(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError as error:
            return f"(no server log: {error})"
        return "\n".join(lines[-LOG_TAIL_LINES:])


def start_berth(binary: Path, dir: Path) -> Berth:
    if not binary.is_file():
        pytest.fail(f"no berth binary at {binary}: run `cargo build -p berth` or set BERTH_BIN")
    data_dir = dir / "data"
    log = dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "server",
                "--data-dir",
                str(data_dir),
                "--https-listen-port",
                "0",
                "--disable-agent",
                # The API server alone: these tests check API semantics (read-modify-write
                # with resourceVersions, status left as written) that controllers would act on.
                "--disable-scheduler",
                "--disable-controller-manager",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    berth = Berth(process, dir, data_dir / "kubeconfig.yaml", log)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    # The server writes the kubeconfig atomically once it answers, so its existence means ready.
    while not berth.kubeconfig.exists():
        if process.poll() is not None:
            pytest.fail(f"berth server exited with {process.returncode}:\n{berth.log_tail()}")
        if time.monotonic() > deadline:
            stop_berth(berth)
            pytest.fail(f"berth server wrote no kubeconfig in {START_TIMEOUT_SECONDS} s:\n"
                        f"{berth.log_tail()}")
        time.sleep(0.02)
    return berth


def stop_berth(berth: Berth) -> None:
    if berth.process.poll() is None:
        os.kill(berth.process.pid, signal.SIGKILL)
    berth.process.wait()


@pytest.fixture(scope="session")
def berth(tmp_path_factory, pytestconfig):
    server = start_berth(berth_binary(), tmp_path_factory.mktemp("berth"))
    pytestconfig.stash[SERVER] = server
    # The DynamicClient that `utils.create_from_yaml(apply=True)` builds caches discovery in
    # tempfile.gettempdir(), keyed by host:port; keep that cache private to this server.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(server.dir))
        try:
            yield server
        finally:
            stop_berth(server)


@pytest.fixture(scope="session")
def api_client(berth):
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(berth.kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        yield api


@pytest.fixture(scope="session")
def core(api_client):
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def apps(api_client):
    return client.AppsV1Api(api_client)


@pytest.fixture(scope="session")
def dynamic_client(api_client, berth):
    return dynamic.DynamicClient(api_client, cache_file=str(berth.dir / "discovery.json"))


_namespace_numbers = itertools.count()


@pytest.fixture
def namespace(core, request):
    """A fresh namespace named after the test, e.g. `t3-watch-sees-changes`."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_")).strip("-")
    name = f"t{next(_namespace_numbers)}-{slug}"[:63].rstrip("-")
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    server = item.config.stash.get(SERVER, None)
    if report.failed and server is not None:
        report.sections.append(("berth server log (tail)", server.log_tail()))
    return report
