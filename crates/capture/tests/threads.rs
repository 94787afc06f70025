//! No leaked threads: everything the capture crate starts (camera supervision, live view,
//! recording with its sync thread, encoder threads) has ended when the call returns. This is
//! its own test binary so that no other test's threads are counted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use popbooth_capture::{RecordSettings, Source, TestCamera};

/// Threads of this process (Linux: /proc/self/task).
fn threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
}

#[test]
fn live_view_recording_and_reconnects_leave_no_threads_behind()
-> Result<(), Box<dyn std::error::Error>> {
    let Some(before) = threads() else {
        return Ok(()); // not Linux: nothing to count with
    };
    let dir = tempfile::tempdir()?;
    for round in 0..3 {
        // A camera that dies after 3 frames, twice, and is reopened each time.
        let stop = AtomicBool::new(false);
        let mut opens = 0;
        let mut frames = 0;
        popbooth_capture::run_camera(
            || {
                opens += 1;
                popbooth_capture::CameraSource::lavfi(if opens < 3 {
                    "testsrc2=size=160x120:rate=30:duration=0.1"
                } else {
                    "testsrc2=size=160x120:rate=30"
                })
            },
            popbooth_capture::Backoff {
                initial: Duration::from_millis(10),
                max: Duration::from_millis(20),
            },
            &stop,
            |_| {
                frames += 1;
                if frames == 12 {
                    stop.store(true, Ordering::Relaxed);
                }
            },
            |_| {},
        );
        assert_eq!(opens, 3);
        // A live view.
        let stop = AtomicBool::new(false);
        let started = Instant::now();
        let mut frames = 0;
        popbooth_capture::run_live_view(
            &Source::Test(TestCamera {
                width: 320,
                height: 240,
                fps: 30,
            }),
            320,
            &stop,
            |_| {
                frames += 1;
                if frames == 10 {
                    stop.store(true, Ordering::Relaxed);
                }
            },
            |_| {},
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        // A recording with sound (its fragment-sync thread and x264's threads).
        popbooth_capture::record(
            &RecordSettings {
                out: dir.path().join(format!("r{round}.mp4")),
                source: Source::Test(TestCamera {
                    width: 320,
                    height: 240,
                    fps: 30,
                }),
                encoder: "libx264".into(),
                preset: Some("ultrafast".into()),
                fallback: None,
                audio: true,
                mic: None,
                duration: Some(Duration::from_millis(400)),
                fail_encoder_after: None,
            },
            &AtomicBool::new(false),
            |_| {},
        )?;
    }
    // Threads end a moment after they are joined or dropped.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut now = threads().unwrap_or(0);
    while now > before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        now = threads().unwrap_or(0);
    }
    assert!(now <= before, "{before} threads before, {now} after");
    Ok(())
}
