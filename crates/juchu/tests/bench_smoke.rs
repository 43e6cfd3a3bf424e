//! The benchmarks still run: `juchu bench lifecycle` and `juchu bench search` at a tiny N on
//! SQLite, through the real binary (search starts `juchu serve` children of it). Each exits 0 only
//! when its own checks pass (every order recognised and the invariants clean; every query answered).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn bench(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_juchu"))
        .arg("bench")
        .args(args)
        .env("JUCHU_LOG", "warn")
        .output()
        .expect("run juchu bench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "juchu bench {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn lifecycle_takes_a_few_orders_to_recognized() {
    let out = bench(&[
        "lifecycle",
        "--n",
        "50",
        "--baseline-n",
        "50",
        "--backend",
        "sqlite",
    ]);
    assert!(out.contains("50 of 50 orders recognized"), "{out}");
    assert!(out.contains("ratio"), "{out}");
}

#[test]
fn search_answers_every_query_kind() {
    let out = bench(&[
        "search",
        "--n",
        "300",
        "--rounds",
        "3",
        "--backend",
        "sqlite",
    ]);
    for kind in [
        "status",
        "q kana family",
        "q phone",
        "ordered_at pages",
        "counts",
        "overall",
    ] {
        assert!(out.contains(kind), "no `{kind}` row:\n{out}");
    }
    assert!(out.contains("server peak RSS"), "{out}");
}
