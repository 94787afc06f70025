//! Stills and bursts saved into an event: full-size JPEG originals, each recorded with its
//! capture session in the event database as soon as it is taken.

use std::time::Duration;

use popbooth_store::{Event, NewShot, SessionKind, Shot};

use crate::{CaptureError, TestCamera};

/// JPEG quality of originals: visually lossless for prints.
const ORIGINAL_QUALITY: u8 = 92;

/// A shot just taken, with a small preview for the screen.
#[derive(Debug, Clone)]
pub struct Taken {
    pub shot: Shot,
    /// JPEG, at most `preview_side` pixels on its longer side.
    pub preview: Vec<u8>,
}

/// Takes `count` shots `interval` apart from the test camera into `event` as one capture
/// session. The camera runs on a blocking thread; each shot is stored as it arrives.
pub async fn shoot(
    event: &Event,
    camera: TestCamera,
    count: u32,
    interval: Duration,
    preview_side: u32,
) -> Result<Vec<Taken>, CaptureError> {
    if !(1..=20).contains(&count) {
        return Err(CaptureError::InvalidShotCount(count));
    }
    let kind = if count > 1 {
        SessionKind::Burst
    } else {
        SessionKind::Single
    };
    let session = event.start_session(kind, count).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u32, u32, u32, Vec<u8>, Vec<u8>)>(2);
    let camera_thread = tokio::task::spawn_blocking(move || {
        crate::burst(&camera, count, interval, |n, frame| {
            let original = frame.to_jpeg(u32::MAX, ORIGINAL_QUALITY)?;
            let preview = frame.to_jpeg(preview_side, 80)?;
            // A closed channel means storing failed; that side reports why.
            let _ = tx.blocking_send((n, frame.width, frame.height, original, preview));
            Ok(())
        })
    });
    let mut taken = Vec::new();
    while let Some((seq, width, height, original, preview)) = rx.recv().await {
        let new = NewShot {
            source: "test camera",
            width,
            height,
            extension: "jpg",
            data: &original,
        };
        let shot = event.add_shot(&session, seq, new).await?;
        taken.push(Taken { shot, preview });
    }
    camera_thread
        .await
        .map_err(|e| CaptureError::Thread(e.to_string()))??;
    Ok(taken)
}
