//! What the window tests share: Xvfb, tauri-driver and WebDriver sessions, screenshots of the
//! display, and polling the page's text.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A child process killed when the test ends, however it ends.
pub struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> TestResult<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The display to use: the session's own, or a fresh Xvfb (`-displayfd` tells its number).
pub fn display() -> TestResult<(String, Option<Guard>)> {
    if let Ok(d) = std::env::var("DISPLAY")
        && !d.is_empty()
    {
        return Ok((d, None));
    }
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1440x900x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Xvfb ({e}); run ./scripts/setup"))?;
    let stdout = child.stdout.take().ok_or("no Xvfb stdout")?;
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let n: u32 = line
        .trim()
        .parse()
        .map_err(|_| format!("Xvfb said {line:?}"))?;
    Ok((format!(":{n}"), Some(guard)))
}

pub fn tauri_driver() -> TestResult<PathBuf> {
    let local = workspace().join(".deps/bin/tauri-driver");
    if local.is_file() {
        return Ok(local);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("tauri-driver"))
        .find(|p| p.is_file())
        .ok_or_else(|| "tauri-driver not found; run ./scripts/setup".into())
}

pub async fn wait_for_port(port: u16, timeout: Duration) -> TestResult {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("tauri-driver did not listen on {port} within {timeout:?}").into())
}

/// Grabs the X display into `path` with FFmpeg's x11grab and returns the PNG's bytes.
/// (WebDriver's own screenshot command never answers with WebKitGTK under Xvfb: the web
/// view's snapshot needs a compositor; grabbing the display shows what a person would see.)
pub fn screenshot(display: &str, path: &Path) -> TestResult<Vec<u8>> {
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "x11grab",
            "-i",
            display,
        ])
        .args(["-frames:v", "1", "-y"])
        .arg(path)
        .status()
        .map_err(|e| format!("cannot run ffmpeg for the screenshot ({e}); run ./scripts/setup"))?;
    if !status.success() {
        return Err(format!("ffmpeg x11grab failed: {status}").into());
    }
    Ok(std::fs::read(path)?)
}

/// The rendered text of the element `css` once `ok` accepts it (an element can exist before
/// it is laid out, when its text still reads empty). Fails with the last text seen.
pub async fn text_when(
    c: &fantoccini::Client,
    css: &str,
    ok: impl Fn(&str) -> bool,
) -> TestResult<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if ok(&last) {
                return Ok(last);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{css}: text never matched; last seen {last:?}").into())
}

/// How many of six hue sectors hold at least 2,000 strongly saturated pixels. The UI itself
/// is neutral with one orange accent; testsrc2's colour bars fill most sectors.
pub fn colourful_hues(png: &[u8]) -> TestResult<usize> {
    let img = image::load_from_memory(png)?.to_rgb8();
    let mut sectors = [0usize; 6];
    for p in img.pixels() {
        let [r, g, b] = p.0.map(f32::from);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        if max - min < 120.0 {
            continue;
        }
        let d = max - min;
        let h = if max == r {
            ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            (b - r) / d + 2.0
        } else {
            (r - g) / d + 4.0
        };
        sectors[(h as usize).min(5)] += 1;
    }
    Ok(sectors.iter().filter(|&&n| n >= 2000).count())
}

/// Share of pixels within a small distance of `rgb`.
pub fn share_of_colour(png: &[u8], rgb: [u8; 3]) -> TestResult<(f64, (u32, u32))> {
    let img = image::load_from_memory(png)?.to_rgb8();
    let near = img
        .pixels()
        .filter(|p| p.0.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 12))
        .count();
    Ok((
        near as f64 / (img.width() * img.height()) as f64,
        img.dimensions(),
    ))
}

/// The app under WebDriver on its own display, with its config, data and logs in `home`.
/// Everything it started ends when it drops.
pub struct Session {
    pub client: fantoccini::Client,
    pub display: String,
    pub _driver: Guard,
    pub _xvfb: Option<Guard>,
}

impl Session {
    pub async fn start(home: &Path, args: &[&str]) -> TestResult<Session> {
        let (display, xvfb) = display()?;
        let (port, native_port) = (free_port()?, free_port()?);
        let driver = Guard(
            Command::new(tauri_driver()?)
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .env("DISPLAY", &display)
                .env("HOME", home)
                .env("XDG_CONFIG_HOME", home.join(".config"))
                .env("XDG_DATA_HOME", home.join(".local/share"))
                .env("XDG_CACHE_HOME", home.join(".cache"))
                .env("LIBGL_ALWAYS_SOFTWARE", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start tauri-driver: {e}"))?,
        );
        wait_for_port(port, Duration::from_secs(20)).await?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": env!("CARGO_BIN_EXE_popbooth-app"), "args": args }),
        );
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let client = builder.connect(&format!("http://127.0.0.1:{port}")).await?;
        Ok(Session {
            client,
            display,
            _driver: driver,
            _xvfb: xvfb,
        })
    }

    /// Ends the WebDriver session (the app quits).
    pub async fn end(self) {
        let _ = self.client.close().await;
    }
}
