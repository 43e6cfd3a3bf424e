//! `juchu import postal-codes FILE` as a process: the Shift_JIS KEN_ALL sample (with a 町域 split
//! over two lines) is loaded into a fresh SQLite file and can be looked up afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[tokio::test]
async fn import_postal_codes_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("postal.db").display());
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../juchu-testkit/fixtures/KEN_ALL_sample.CSV");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_juchu"))
        .args(["import", "postal-codes"])
        .arg(&file)
        .args(["--database", &db])
        .env("JUCHU_LOG", "warn")
        .env_remove("JUCHU_CONFIG")
        .output()
        .await
        .expect("juchu import postal-codes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("imported 21 postal-code rows"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = juchu::open_store(&db).await.unwrap();
    let rows = store.postal_lookup("0660005").await.unwrap();
    assert_eq!(rows.len(), 1, "the split 町域 is one row: {rows:?}");
    assert!(rows[0].town.ends_with("1752番地）"), "{rows:?}");
    let missing = tokio::process::Command::new(env!("CARGO_BIN_EXE_juchu"))
        .args([
            "import",
            "postal-codes",
            "/nonexistent/KEN_ALL.CSV",
            "--database",
            &db,
        ])
        .env("JUCHU_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(!missing.status.success());
    // A failed import leaves the data there was.
    assert_eq!(store.postal_lookup("0660005").await.unwrap().len(), 1);
}
