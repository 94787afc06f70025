//! Stills and bursts saved into an event: full-size JPEG originals, each recorded with its
//! capture session in the event database as soon as it is taken.

use std::time::Duration;

use popbooth_store::{Event, NewShot, SessionKind, Shot};

use crate::{CaptureError, RgbFrame, Source};

/// JPEG quality of originals: visually lossless for prints.
const ORIGINAL_QUALITY: u8 = 92;

/// A shot just taken, with a small preview for the screen.
#[derive(Debug, Clone)]
pub struct Taken {
    pub shot: Shot,
    /// JPEG, at most `preview_side` pixels on its longer side.
    pub preview: Vec<u8>,
}

/// Takes `count` shots `interval` apart from `source` into `event` as one capture session.
/// The camera runs on a blocking thread; each shot is stored as it arrives.
pub async fn shoot(
    event: &Event,
    source: Source,
    count: u32,
    interval: Duration,
    preview_side: u32,
) -> Result<Vec<Taken>, CaptureError> {
    let session = start_session(event, count).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u32, RgbFrame)>(2);
    let label = source.label();
    let camera_thread = tokio::task::spawn_blocking(move || {
        crate::burst(&source, count, interval, |n, frame| {
            // A closed channel means storing failed; that side reports why.
            let _ = tx.blocking_send((n, frame));
            Ok(())
        })
    });
    let mut taken = Vec::new();
    while let Some((seq, frame)) = rx.recv().await {
        taken.push(save_shot(event, &session, seq, &label, frame, preview_side).await?);
    }
    camera_thread
        .await
        .map_err(|e| CaptureError::Thread(e.to_string()))??;
    Ok(taken)
}

/// Starts the capture session of `count` shots (a single shot, or a burst for a strip).
pub async fn start_session(event: &Event, count: u32) -> Result<String, CaptureError> {
    if !(1..=20).contains(&count) {
        return Err(CaptureError::InvalidShotCount(count));
    }
    let kind = if count > 1 {
        SessionKind::Burst
    } else {
        SessionKind::Single
    };
    Ok(event.start_session(kind, count).await?)
}

/// Saves `frame` as shot `seq` of `session`: a full-size JPEG original (encoded off the async
/// threads), its row in the event database, and a preview at most `preview_side` px.
pub async fn save_shot(
    event: &Event,
    session: &str,
    seq: u32,
    source_label: &str,
    frame: RgbFrame,
    preview_side: u32,
) -> Result<Taken, CaptureError> {
    let (width, height) = (frame.width, frame.height);
    let (original, preview) = tokio::task::spawn_blocking(move || {
        Ok::<_, CaptureError>((
            frame.to_jpeg(u32::MAX, ORIGINAL_QUALITY)?,
            frame.to_jpeg(preview_side, 80)?,
        ))
    })
    .await
    .map_err(|e| CaptureError::Thread(e.to_string()))??;
    let new = NewShot {
        source: source_label,
        width,
        height,
        extension: "jpg",
        data: &original,
    };
    let shot = event.add_shot(session, seq, new).await?;
    Ok(Taken { shot, preview })
}
