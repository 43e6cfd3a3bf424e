//! Headless Chromium driven over WebDriver, for the console's browser tests.
//!
//! Each `Browser` starts its own `chromedriver` (Debian's `chromium-driver`, `/usr/bin/chromedriver`,
//! or `$CHROMEDRIVER`) on a free port in a process group of its own, opens one Chromium session
//! with downloads going to a temporary directory, and on drop kills the group: chromedriver and
//! every Chromium process it started. Tests may run concurrently; each has its own driver.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long `wait_for` and friends wait for an element before failing the test.
const WAIT: Duration = Duration::from_secs(20);

pub struct Browser {
    pub client: Client,
    /// The server under test, e.g. `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where the browser saves downloads.
    pub downloads: tempfile::TempDir,
    driver: Child,
}

fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}

fn chromium_path() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts chromedriver on a free port and waits until it answers `/status`.
async fn start_driver() -> (Child, u16) {
    let path = chromedriver_path();
    assert!(
        Path::new(&path).exists(),
        "{path} is missing: install Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
    );
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new(&path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that drop can end Chromium along with it.
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let status = format!("http://127.0.0.1:{port}/status");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = http.get(&status).send().await
                && r.status().is_success()
            {
                return (child, port);
            }
            if let Ok(Some(_)) = child.try_wait() {
                break; // the port was taken meanwhile: try another
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        kill_group(&mut child);
    }
    panic!("chromedriver did not start");
}

fn kill_group(child: &mut Child) {
    // The group id is chromedriver's pid (`process_group(0)`).
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

impl Browser {
    /// A new headless Chromium pointed at `base` (the test server's URL).
    pub async fn start(base: &str) -> Browser {
        let (mut driver, port) = start_driver().await;
        let downloads = tempfile::tempdir().expect("download dir");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_path(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-dev-shm-usage",
                    "--window-size=1366,900", "--lang=ja", "--no-first-run",
                    "--no-default-browser-check",
                ],
                "prefs": {
                    "download.default_directory": downloads.path().to_string_lossy(),
                    "download.prompt_for_download": false,
                    "intl.accept_languages": "ja,en",
                },
            },
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.enforce_http(true);
        let client = match ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                kill_group(&mut driver);
                panic!("WebDriver session: {e}");
            }
        };
        Browser {
            client,
            base: base.trim_end_matches('/').to_owned(),
            downloads,
            driver,
        }
    }

    /// Opens a path of the server (`/orders?q=…`).
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    /// The path and query of the current page.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits (up to 20 s) for an element matching a CSS selector.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("no element `{css}` on {}: {e}", self.path_or_blank().await),
        }
    }

    async fn path_or_blank(&self) -> String {
        match self.client.current_url().await {
            Ok(u) => u.to_string(),
            Err(_) => String::new(),
        }
    }

    /// Every element matching a CSS selector (none is fine).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// Types into a field (clearing it first).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.wait_for(css).await;
        e.clear().await.expect("clear field");
        e.send_keys(text).await.expect("type");
    }

    /// Picks the option with this value in a `<select>`.
    pub async fn select(&self, css: &str, value: &str) {
        let e = self.wait_for(css).await;
        e.select_by_value(value)
            .await
            .unwrap_or_else(|err| panic!("select {value} in {css}: {err}"));
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The visible text of the first element matching a CSS selector.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("text")
    }

    /// The visible text of the page.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Accepts the `confirm()` dialog a `data-confirm` form opens.
    pub async fn accept_confirm(&self) {
        self.client
            .accept_alert()
            .await
            .expect("a confirmation dialog");
    }

    /// Signs in through the login form and waits until the page after it has loaded.
    pub async fn login(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for("header.top .user").await;
    }

    /// Saves a PNG of the window to `docs/screenshots/NAME.png` (committed; linked from the README).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Waits (up to 20 s) until a finished download named `name` is in the download directory, and
    /// returns its bytes.
    pub async fn download(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.path().join(name);
        for _ in 0..200 {
            if path.exists()
                && let Ok(b) = std::fs::read(&path)
            {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let seen: Vec<_> = std::fs::read_dir(self.downloads.path())
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        panic!("no download {name}; the directory has {seen:?}");
    }

    /// Ends the browser session (Chromium quits), then chromedriver.
    pub async fn quit(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        kill_group(&mut self.driver);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// `docs/screenshots` of the repository.
pub fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}
