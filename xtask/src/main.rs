//! berth's task menu, so that developers and CI run the same steps: `cargo xtask <task>`.
//!
//! Tasks: `deps` installs the Debian and Python packages the tests need (root, via
//! `.ci/install-deps`), `check` runs fmt and clippy, `test` runs every test, `ci` is check + test
//! (what `.ci/run` calls after installing), `bench` prints the benchmark tables.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match task {
        "deps" => deps(),
        "check" => check(),
        "test" => test(rest),
        "ci" => check().and_then(|()| test(rest)),
        "bench" => run("cargo", &["run", "--release", "-p", "berth", "--", "bench", "store"], rest),
        _ => {
            eprintln!("usage: cargo xtask deps|check|test|ci|bench [extra args]");
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

fn test(extra: &[String]) -> Result<(), String> {
    run("cargo", &["test", "--workspace"], extra)
}

fn run(program: &str, args: &[&str], extra: &[String]) -> Result<(), String> {
    eprintln!("+ {program} {} {}", args.join(" "), extra.join(" "));
    let status = Command::new(program)
        .args(args)
        .args(extra)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{program} failed: {status}")) }
}
