//! Glue for the live view: a camera thread (`popbooth_capture::run_live_view`) publishes its
//! newest JPEG; the `popbooth-live` URI scheme answers `frame?after=N` with the first frame
//! newer than N (a long poll), so the webview gets binary frames without JSON or base64.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use popbooth_capture::{LiveFrame, TestCamera};
use tauri::http::{Request, Response};
use tokio::sync::watch;

/// The URI scheme the webview fetches frames from.
pub const SCHEME: &str = "popbooth-live";

/// Longest a request waits for a new frame before it is answered "no content".
const WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct Live {
    frames: watch::Sender<Option<Arc<LiveFrame>>>,
    running: Mutex<Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            frames: watch::channel(None).0,
            running: Mutex::new(None),
        }
    }
}

impl Live {
    /// Starts the camera thread (once; a second start does nothing).
    pub fn start(&self) -> Result<(), std::io::Error> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.is_some() {
            return Ok(());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let frames = self.frames.clone();
        let thread_stop = stop.clone();
        let handle = std::thread::Builder::new()
            .name("live-view".into())
            .spawn(move || {
                popbooth_capture::run_live_view(
                    TestCamera::default(),
                    1280,
                    &thread_stop,
                    |frame| {
                        frames.send_replace(Some(Arc::new(frame)));
                    },
                    |state| tracing::info!(?state, "live view"),
                );
            })?;
        *running = Some((stop, handle));
        Ok(())
    }

    /// Stops the camera thread and waits for it.
    pub fn stop(&self) {
        let taken = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((stop, handle)) = taken {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }

    /// Answers one `popbooth-live://localhost/frame?after=N` request.
    pub async fn respond(&self, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let after: u64 = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("after=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut rx = self.frames.subscribe();
        let waited = tokio::time::timeout(
            WAIT,
            rx.wait_for(|f| f.as_ref().is_some_and(|f| f.seq > after)),
        )
        .await;
        let frame = match waited {
            Ok(Ok(frame)) => frame.clone(),
            _ => None,
        };
        let builder = Response::builder()
            .header("Access-Control-Allow-Origin", "*")
            .header("Access-Control-Expose-Headers", "X-Seq, X-Captured-At")
            .header("Cache-Control", "no-store");
        let response = match frame {
            Some(f) => builder
                .status(200)
                .header("Content-Type", "image/jpeg")
                .header("X-Seq", f.seq.to_string())
                .header("X-Captured-At", f.captured_at_ms.to_string())
                .body(f.jpeg.clone()),
            None => builder.status(204).body(Vec::new()),
        };
        response.unwrap_or_else(|_| Response::new(Vec::new()))
    }
}
