//! The capture crate against the real FFmpeg libraries.

use popbooth_capture::{TestCamera, VideoCodec, grab_frame, probe_encoders};

#[test]
fn test_camera_gives_a_decoded_rgb_frame_with_the_testsrc2_pattern()
-> Result<(), Box<dyn std::error::Error>> {
    let camera = TestCamera {
        width: 640,
        height: 360,
        fps: 25,
    };
    let frame = grab_frame(&camera)?;
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
    assert_eq!(grab_frame(&camera)?, frame);
    Ok(())
}

#[test]
fn a_frame_encodes_to_a_scaled_jpeg_that_decodes_to_the_same_picture()
-> Result<(), Box<dyn std::error::Error>> {
    let frame = grab_frame(&TestCamera::default())?;
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
    let small = grab_frame(&TestCamera {
        width: 320,
        height: 240,
        fps: 30,
    })?;
    let decoded = image::load_from_memory(&small.to_jpeg(640, 85)?)?;
    assert_eq!((decoded.width(), decoded.height()), (320, 240));
    Ok(())
}

#[test]
fn bad_sizes_are_refused_with_a_clear_error() {
    for (width, height) in [(0, 720), (1281, 720), (640, 99999)] {
        let err = grab_frame(&TestCamera {
            width,
            height,
            fps: 30,
        })
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
    // The automatic choice on this machine is an encoder that passed the same test.
    let chosen = popbooth_capture::choose_h264(1280, 720, 30)?;
    assert!(popbooth_capture::h264_preference().contains(&chosen.as_str()));
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
