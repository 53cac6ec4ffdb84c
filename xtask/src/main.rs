//! berth's task menu, so that developers and CI run the same steps: `cargo xtask <task>`.
//!
//! Tasks: `deps` installs the Debian and Python packages the tests need (root, via
//! `.ci/install-deps`), `check` runs fmt and clippy, `test` runs every test, `fuzz [seconds]`
//! runs each cargo-fuzz target in `fuzz/` for that long (20 s by default), `ci` is check, test
//! and 20 s of each fuzz target, ending with one summary line of the test counts (what
//! `.ci/run` calls after installing), `bench` prints the benchmark tables.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match task {
        "deps" => deps(),
        "check" => check(),
        "test" => test(rest).and_then(Counts::verdict),
        "ci" => ci(),
        "bench" => run("cargo", &["run", "--release", "-p", "berth", "--", "bench", "store"], rest),
        "fuzz" => fuzz(rest),
        _ => {
            eprintln!("usage: cargo xtask deps|check|test|ci|bench|fuzz [extra args]");
            return if task == "help" { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn deps() -> Result<(), String> {
    run(".ci/install-deps", &[], &[])
}

fn check() -> Result<(), String> {
    run("cargo", &["fmt", "--all", "--", "--check"], &[])?;
    run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])
}

/// check, test, fuzz; the last line printed is the summary of the tests, so that a reader of
/// the log sees the whole count at its end.
fn ci() -> Result<(), String> {
    check()?;
    let counts = test(&[])?;
    let fuzzed = fuzz(&["20".to_owned()]);
    println!(
        "summary: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.ignored
    );
    counts.verdict()?;
    fuzzed
}

/// Test counts summed over every test binary of a `cargo test` run.
#[derive(Debug, Default)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
    success: bool,
}

impl Counts {
    /// Adds a libtest closing line: `test result: ok. 3 passed; 0 failed; 1 ignored; …`.
    fn add(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else { return };
        let number = |label: &str| {
            rest.split([';', '.'])
                .find_map(|part| part.trim().strip_suffix(label).map(str::trim))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        };
        self.passed += number("passed");
        self.failed += number("failed");
        self.ignored += number("ignored");
    }

    fn verdict(self) -> Result<(), String> {
        if self.success && self.failed == 0 {
            Ok(())
        } else {
            Err(format!("{} tests failed", self.failed.max(1)))
        }
    }
}

/// `cargo test --workspace`, its output passed through and its closing lines counted.
fn test(extra: &[String]) -> Result<Counts, String> {
    eprintln!("+ cargo test --workspace --no-fail-fast {}", extra.join(" "));
    let mut child = Command::new("cargo")
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let mut counts = Counts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            counts.add(&line);
        }
    }
    counts.success = child.wait().map_err(|e| format!("waiting for cargo: {e}"))?.success();
    Ok(counts)
}

/// Builds every fuzz target, then runs each for `seconds` (the first extra argument). A crash,
/// a leak or an input slower than 10 s fails; libFuzzer leaves the input in `fuzz/artifacts/`.
///
/// cargo-fuzz needs nightly flags (`-Zsanitizer=address`); `RUSTC_BOOTSTRAP=1` lets the
/// stable toolchain accept them. New inputs go to a scratch corpus beside the build, which
/// persists with it, so `fuzz/corpus/` keeps only the hand-written seeds.
fn fuzz(extra: &[String]) -> Result<(), String> {
    let seconds: u32 = match extra.first() {
        Some(arg) => arg.parse().map_err(|_| format!("not a number of seconds: {arg}"))?,
        None => 20,
    };
    // cargo-fuzz runs the fuzzer from the fuzz directory, so every path given to it is absolute.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".."));
    let fuzz_dir = root.join("fuzz");
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => std::env::current_dir()
            .map_err(|e| format!("reading the current directory: {e}"))?
            .join(dir)
            .join("fuzz"),
        _ => fuzz_dir.join("target"),
    };
    let (fuzz_dir, target_dir) = (path_text(&fuzz_dir), path_text(&target_dir));
    let cargo_fuzz = |subcommand: &str, rest: &[&str]| {
        let mut args =
            vec!["fuzz", subcommand, "--fuzz-dir", &fuzz_dir, "--target-dir", &target_dir];
        args.extend(rest);
        run_with_env("cargo", &args, ("RUSTC_BOOTSTRAP", "1"))
    };
    cargo_fuzz("build", &[]).map_err(|e| {
        format!("{e} (cargo-fuzz installs with: cargo install cargo-fuzz --locked)")
    })?;
    let listed = Command::new("cargo")
        .args(["fuzz", "list", "--fuzz-dir", &fuzz_dir])
        .output()
        .map_err(|e| format!("cannot run cargo fuzz list: {e}"))?;
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    if listed.trim().is_empty() {
        return Err("cargo fuzz list names no targets".into());
    }
    let max_time = format!("-max_total_time={seconds}");
    for target in listed.split_whitespace() {
        let scratch = format!("{target_dir}/corpus/{target}");
        std::fs::create_dir_all(&scratch).map_err(|e| format!("creating {scratch}: {e}"))?;
        let seeds = format!("{fuzz_dir}/corpus/{target}");
        cargo_fuzz("run", &[target, &scratch, &seeds, "--", &max_time, "-timeout=10"])?;
    }
    Ok(())
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn run(program: &str, args: &[&str], extra: &[String]) -> Result<(), String> {
    eprintln!("+ {program} {} {}", args.join(" "), extra.join(" "));
    let mut command = Command::new(program);
    command.args(args).args(extra).env("DEBIAN_FRONTEND", "noninteractive");
    status(program, command)
}

fn run_with_env(program: &str, args: &[&str], (key, value): (&str, &str)) -> Result<(), String> {
    eprintln!("+ {key}={value} {program} {}", args.join(" "));
    let mut command = Command::new(program);
    command.args(args).env(key, value);
    status(program, command)
}

fn status(program: &str, mut command: Command) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{program} failed: {status}")) }
}
