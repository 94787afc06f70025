//! The capture crate against the real FFmpeg libraries.

use popbooth_capture::{Source, TestCamera, VideoCodec, grab_frame, probe_encoders};

#[test]
fn test_camera_gives_a_decoded_rgb_frame_with_the_testsrc2_pattern()
-> Result<(), Box<dyn std::error::Error>> {
    let camera = TestCamera {
        width: 640,
        height: 360,
        fps: 25,
    };
    let frame = grab_frame(&Source::Test(camera))?;
    assert_eq!((frame.width, frame.height), (640, 360));
    assert_eq!(frame.data.len(), 640 * 360 * 3);

    // testsrc2 is a colourful pattern, not a flat or black picture: many distinct colours and
    // strongly saturated pixels.
    let mut colours = std::collections::HashSet::new();
    let mut saturated = 0usize;
    for px in frame.data.chunks_exact(3) {
        colours.insert([px[0] >> 4, px[1] >> 4, px[2] >> 4]);
        let (max, min) = (
            px.iter().max().copied().unwrap_or(0),
            px.iter().min().copied().unwrap_or(0),
        );
        if max - min > 150 {
            saturated += 1;
        }
    }
    assert!(
        colours.len() > 50,
        "only {} distinct colours",
        colours.len()
    );
    assert!(
        saturated > frame.data.len() / 3 / 10,
        "only {saturated} saturated pixels"
    );

    // The same source gives the same first frame: decoding is deterministic.
    assert_eq!(grab_frame(&Source::Test(camera))?, frame);
    Ok(())
}

#[test]
fn a_frame_encodes_to_a_scaled_jpeg_that_decodes_to_the_same_picture()
-> Result<(), Box<dyn std::error::Error>> {
    let frame = grab_frame(&Source::default())?;
    let jpeg = frame.to_jpeg(640, 85)?;
    let decoded = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)?.to_rgb8();
    assert_eq!(decoded.dimensions(), (640, 360));
    // Same picture: the mean colour of the scaled JPEG matches the frame's within a few levels.
    let mean = |data: &[u8]| -> [f64; 3] {
        let mut m = [0.0; 3];
        for px in data.chunks_exact(3) {
            for c in 0..3 {
                m[c] += px[c] as f64;
            }
        }
        m.map(|v| v / (data.len() / 3) as f64)
    };
    let (a, b) = (mean(&frame.data), mean(decoded.as_raw()));
    for c in 0..3 {
        assert!(
            (a[c] - b[c]).abs() < 4.0,
            "channel {c}: {} vs {}",
            a[c],
            b[c]
        );
    }
    // Small frames are not scaled up.
    let small = grab_frame(&Source::Test(TestCamera {
        width: 320,
        height: 240,
        fps: 30,
    }))?;
    let decoded = image::load_from_memory(&small.to_jpeg(640, 85)?)?;
    assert_eq!((decoded.width(), decoded.height()), (320, 240));
    Ok(())
}

#[test]
fn bad_sizes_are_refused_with_a_clear_error() {
    for (width, height) in [(0, 720), (1281, 720), (640, 99999)] {
        let err = grab_frame(&Source::Test(TestCamera {
            width,
            height,
            fps: 30,
        }))
        .err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains(&format!("{width}x{height}")), "{text}");
    }
}

#[test]
fn libx264_is_found_and_opens() -> Result<(), Box<dyn std::error::Error>> {
    let reports = probe_encoders()?;
    let x264 = reports
        .iter()
        .find(|r| r.name == "libx264")
        .ok_or("libx264 is missing from this FFmpeg build")?;
    assert_eq!(x264.codec, VideoCodec::H264);
    assert!(!x264.hardware);
    assert!(x264.opens, "libx264 did not open: {:?}", x264.error);
    assert!(
        x264.works,
        "libx264 failed its self-test: {:?}",
        x264.check_error
    );
    // Every encoder that did not open says why.
    for r in &reports {
        assert_eq!(r.opens, r.error.is_none(), "{r:?}");
        assert_eq!(r.works, r.check_error.is_none(), "{r:?}");
        assert!(r.opens || !r.works, "{r:?}");
    }
    Ok(())
}

/// The self-test encodes a clip, decodes it back and compares: libx264 passes with a small,
/// non-zero difference (lossy, same picture); an encoder that is not there fails clearly.
#[test]
fn the_encoder_self_test_decodes_the_clip_back_to_the_source_picture()
-> Result<(), Box<dyn std::error::Error>> {
    let diff = popbooth_capture::self_test("libx264")?;
    assert!(diff > 0.0 && diff < 3.0, "mean luma difference {diff}");
    let err = popbooth_capture::self_test("h264_nonexistent").err();
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("h264_nonexistent"),
        "a missing encoder must say which"
    );
    Ok(())
}

/// The probe is kept per machine: a second load reads the file (no probing), a cache made on
/// another machine (another FFmpeg, GPU or driver) is probed again, and refresh always probes.
/// The encoder chosen from it is one that passed the self-test, and libx264 presets measured
/// once are kept too.
#[test]
fn the_encoder_probe_is_cached_per_machine_and_refreshable()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_capture::EncoderCache;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("cache").join("encoders.json");
    let mut first = EncoderCache::load(&file)?;
    assert!(file.exists());
    let chosen = first.h264()?;
    assert!(popbooth_capture::h264_preference().contains(&chosen.as_str()));
    assert!(first.encoders.iter().any(|e| e.name == chosen && e.works));

    // Mark the file so that a re-probe would be seen.
    first.probed_at = 1;
    std::fs::write(&file, serde_json::to_vec(&first)?)?;
    let started = std::time::Instant::now();
    let again = EncoderCache::load(&file)?;
    assert_eq!(again.probed_at, 1, "read from the file");
    assert!(started.elapsed() < std::time::Duration::from_millis(500));

    let mut other = again.clone();
    other.machine = "another machine".into();
    std::fs::write(&file, serde_json::to_vec(&other)?)?;
    let reprobed = EncoderCache::load(&file)?;
    assert_ne!(
        reprobed.probed_at, 1,
        "another machine's answers are not used"
    );
    assert_eq!(reprobed.machine, first.machine);

    first.probed_at = 1;
    std::fs::write(&file, serde_json::to_vec(&first)?)?;
    assert_ne!(EncoderCache::refresh(&file)?.probed_at, 1);

    // A preset is measured once, then read.
    let mut cache = EncoderCache::load(&file)?;
    let preset = cache.software_preset(&file, 320, 240, 30)?;
    assert!(["faster", "veryfast", "superfast", "ultrafast"].contains(&preset.as_str()));
    let read: EncoderCache = serde_json::from_slice(&std::fs::read(&file)?)?;
    assert_eq!(read.presets.get("320x240@30"), Some(&preset));
    Ok(())
}

#[test]
fn the_encode_benchmark_does_the_same_work_in_process_and_in_the_ffmpeg_tool()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_capture::bench::{EncodeJob, encode_in_process, encode_with_ffmpeg_tool};
    let job = EncodeJob {
        frames: 30,
        width: 320,
        height: 240,
        ..EncodeJob::default()
    };
    let mut seen = 0;
    let ours = encode_in_process(&job, |done| seen = done)?;
    let tool = encode_with_ffmpeg_tool(&job, std::path::Path::new("ffmpeg"))?;
    assert_eq!((ours.frames, seen, tool.frames), (30, 30, 30));
    assert!(ours.fps() > 0.0 && tool.fps() > 0.0);
    // Same encoder, same settings: the two H.264 streams are within 1% in size.
    let (a, b) = (ours.bytes as f64, tool.bytes as f64);
    assert!(
        (a - b).abs() / b < 0.01,
        "in-process {a} bytes, tool {b} bytes"
    );
    // A missing tool is a clear error, not a panic.
    let err = encode_with_ffmpeg_tool(&job, std::path::Path::new("/nonexistent/ffmpeg")).err();
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("cannot start")
    );
    Ok(())
}

mod hot_folder {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use popbooth_capture::{
        HotFolderConfig, HotFolderEvent, Source, TestCamera, grab_frame, watch_hot_folder,
    };
    use popbooth_store::Event;

    /// Waits until at least `n` reported events match `pred`.
    async fn wait_for(
        events: &Mutex<Vec<HotFolderEvent>>,
        what: &str,
        n: usize,
        pred: impl Fn(&HotFolderEvent) -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let seen = events
                .lock()
                .map_err(|e| e.to_string())?
                .iter()
                .filter(|e| pred(e))
                .count();
            if seen >= n {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!(
            "never saw {what}: {:?}",
            events.lock().map_err(|e| e.to_string())?
        ))
    }

    fn name_of(e: &HotFolderEvent) -> Option<String> {
        let file = match e {
            HotFolderEvent::Imported { file, .. }
            | HotFolderEvent::Duplicate { file }
            | HotFolderEvent::Rejected { file, .. } => file,
            _ => return None,
        };
        file.file_name().map(|n| n.to_string_lossy().into_owned())
    }

    /// Files written slowly, duplicates, non-images, damaged files and a folder that is
    /// deleted and comes back: each finished image is imported exactly once, the rest is
    /// rejected with a reason, and the watcher carries on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn imports_finished_images_exactly_once_and_survives_a_missing_folder()
    -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let event = Event::create(&tmp.path().join("ev"), "Hot").await?;
        let hot = tmp.path().join("hot");
        std::fs::create_dir(&hot)?;
        let frame = |w| {
            grab_frame(&Source::Test(TestCamera {
                width: w,
                height: 360,
                fps: 30,
            }))
        };
        let jpeg = frame(640)?.to_jpeg(u32::MAX, 90)?;
        let other = frame(480)?.to_jpeg(u32::MAX, 90)?;

        let events = Mutex::new(Vec::new());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let config = HotFolderConfig {
            poll: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
        };
        let watcher = watch_hot_folder(&hot, &event, config, stop_rx, |e| {
            if let Ok(mut v) = events.lock() {
                v.push(e);
            }
        });
        let steps = async {
            wait_for(&events, "watching", 1, |e| *e == HotFolderEvent::Watching).await?;
            // A camera writing a JPEG in chunks: nothing happens until it is complete.
            {
                use std::io::Write;
                let mut f = std::fs::File::create(hot.join("IMG_0001.JPG"))?;
                for chunk in jpeg.chunks(jpeg.len() / 8 + 1) {
                    f.write_all(chunk)?;
                    f.flush()?;
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
            }
            wait_for(&events, "the import", 1, |e| {
                matches!(e, HotFolderEvent::Imported { .. })
            })
            .await?;
            // The same picture again under another name, a text file, a damaged JPEG.
            std::fs::write(hot.join("IMG_0001 copy.JPG"), &jpeg)?;
            std::fs::write(hot.join("notes.txt"), "not a photo")?;
            std::fs::write(hot.join("IMG_0002.JPG"), &other[..other.len() * 6 / 10])?;
            wait_for(&events, "the duplicate", 1, |e| {
                matches!(e, HotFolderEvent::Duplicate { .. })
            })
            .await?;
            wait_for(&events, "two rejections", 2, |e| {
                matches!(e, HotFolderEvent::Rejected { .. })
            })
            .await?;
            // The card is pulled: the folder disappears, then comes back with a new shot.
            std::fs::remove_dir_all(&hot)?;
            wait_for(&events, "reconnecting", 1, |e| {
                matches!(e, HotFolderEvent::Reconnecting { .. })
            })
            .await?;
            std::fs::create_dir(&hot)?;
            image::load_from_memory(&other)?.save(hot.join("IMG_0003.png"))?;
            wait_for(&events, "the second import", 1, |e| {
                matches!(e, HotFolderEvent::Imported { file, .. } if file.ends_with("IMG_0003.png"))
            })
            .await?;
            Ok::<(), Box<dyn std::error::Error>>(())
        };
        // The watcher stops whatever happened to the steps, so a failure cannot hang the test.
        let driver = async {
            let result = steps.await;
            let _ = stop_tx.send(true);
            result
        };
        let (watched, driven) = tokio::join!(watcher, driver);
        driven?;
        watched?;

        let events = events.into_inner().map_err(|e| e.to_string())?;
        let rejected: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                HotFolderEvent::Rejected { reason, .. } => Some((name_of(e), reason.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(rejected.len(), 2, "{rejected:?}");
        assert!(
            rejected
                .iter()
                .any(|(n, r)| n.as_deref() == Some("notes.txt") && r == "not an image")
        );
        assert!(
            rejected
                .iter()
                .any(|(n, r)| n.as_deref() == Some("IMG_0002.JPG") && r.starts_with("damaged"))
        );
        let imported: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, HotFolderEvent::Imported { .. }))
            .filter_map(name_of)
            .collect();
        assert_eq!(imported, ["IMG_0001.JPG", "IMG_0003.png"]);

        // In the event: two shots, the first byte-for-byte the camera's file.
        let shots = event.shots().await?;
        assert_eq!(shots.len(), 2);
        assert_eq!(std::fs::read(event.root().join(&shots[0].file))?, jpeg);
        assert_eq!((shots[0].width, shots[0].height), (640, 360));
        assert_eq!(shots[0].source, "hot folder: IMG_0001.JPG");
        assert!(shots[1].file.ends_with(".png"));
        event.close().await;
        Ok(())
    }
}

/// A camera that stops after a few frames, then cannot be opened for a while, then comes
/// back: the supervisor reports "reconnecting" with growing waits and frames resume, all in
/// one call, with no restart and no panic; it returns promptly when stopped.
#[test]
fn a_camera_that_vanishes_is_reopened_with_backoff_and_frames_resume() {
    use popbooth_capture::{
        Backoff, CameraSource, CameraState, CaptureError, Captured, run_camera,
    };
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    let stop = AtomicBool::new(false);
    let mut opens = 0;
    let mut frames = 0u32;
    let mut states = Vec::new();
    let started = Instant::now();
    run_camera(
        || {
            opens += 1;
            match opens {
                // Twice a camera that dies after 5 frames (a 1/6 s source at 30 fps).
                1 | 2 => CameraSource::lavfi("testsrc2=size=160x120:rate=30:duration=0.1667"),
                // Then unplugged: it does not open.
                3 | 4 => Err(CaptureError::NoVideo("/dev/video0 (unplugged)".into())),
                // Then back for good.
                _ => CameraSource::lavfi("testsrc2=size=160x120:rate=30"),
            }
        },
        Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(80),
        },
        &stop,
        |captured| {
            let Captured::Video { frame: f, .. } = captured else {
                return;
            };
            assert_eq!((f.width(), f.height()), (160, 120));
            frames += 1;
            if frames == 25 {
                stop.store(true, Ordering::Relaxed);
            }
        },
        |s| states.push(s),
    );
    assert_eq!(frames, 25, "it stops at once when told");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(opens, 5);
    let kinds: Vec<_> = states
        .iter()
        .map(|s| match s {
            CameraState::Live(format) => {
                assert_eq!((format.width, format.height), (160, 120));
                "live".to_owned()
            }
            CameraState::Reconnecting {
                attempt, retry_in, ..
            } => {
                format!("retry {attempt} in {} ms", retry_in.as_millis())
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "live",
            "retry 1 in 20 ms",
            "live",
            "retry 1 in 20 ms",
            "retry 2 in 40 ms",
            "retry 3 in 80 ms",
            "live"
        ]
    );
    let unplugged = states.iter().any(
        |s| matches!(s, CameraState::Reconnecting { reason, .. } if reason.contains("unplugged")),
    );
    assert!(unplugged, "the reason reaches the state: {states:?}");
}

/// Live view frames are JPEGs of the camera picture at the asked size, numbered and stamped
/// in order. (Their rate is measured in docs/benchmarks.md; the bound here is loose.)
#[test]
fn live_view_frames_are_numbered_jpegs_of_the_camera_picture()
-> Result<(), Box<dyn std::error::Error>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    let started = std::time::Instant::now();
    let mut frames = Vec::new();
    popbooth_capture::run_live_view(
        &Source::default(),
        640,
        &stop,
        |f| {
            frames.push(f);
            if started.elapsed().as_secs_f64() >= 1.0 {
                stop.store(true, Ordering::Relaxed);
            }
        },
        |_| {},
    );
    let rate = frames.len() as f64 / started.elapsed().as_secs_f64();
    assert!(rate >= 10.0, "only {rate:.1} frames per second");
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.seq, i as u64 + 1);
    }
    assert!(
        frames
            .windows(2)
            .all(|w| w[0].captured_at_ms <= w[1].captured_at_ms)
    );
    let last = frames.last().ok_or("no frames")?;
    let img = image::load_from_memory_with_format(&last.jpeg, image::ImageFormat::Jpeg)?.to_rgb8();
    assert_eq!(img.dimensions(), (640, 360));
    // testsrc2's colour bars: strongly saturated pixels in many hues.
    let hues: std::collections::HashSet<_> = img
        .pixels()
        .filter(|p| {
            p.0.iter().max().copied().unwrap_or(0) - p.0.iter().min().copied().unwrap_or(0) > 150
        })
        .map(|p| p.0.map(|c| c / 128))
        .collect();
    assert!(hues.len() >= 5, "{hues:?}");
    Ok(())
}
