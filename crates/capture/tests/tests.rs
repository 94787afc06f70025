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
    // Every encoder that did not open says why.
    for r in &reports {
        assert_eq!(r.opens, r.error.is_none(), "{r:?}");
    }
    Ok(())
}

/// Frames through the encoder and back through FFmpeg's H.264 decoder are the same picture.
#[test]
fn encoded_frames_decode_back_to_the_source_picture() -> Result<(), Box<dyn std::error::Error>> {
    use ffmpeg_next::{codec, frame};
    use popbooth_capture::{EncoderSettings, LavfiSource, VideoEncoder};

    let (w, h) = (320u32, 240u32);
    let mut source = LavfiSource::open(&format!("testsrc2=size={w}x{h}:rate=30"))?;
    let mut encoder = VideoEncoder::open(&EncoderSettings {
        preset: Some("veryfast".into()),
        ..EncoderSettings::new("libx264", w, h, 30)
    })?;
    let mut originals = Vec::new();
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut keep =
        |p: &mut ffmpeg_next::Packet| packets.push(p.data().unwrap_or_default().to_vec());
    for _ in 0..10 {
        let mut f = frame::Video::empty();
        assert!(source.next_frame(&mut f)?);
        let mut luma = f.data(0).to_vec();
        luma.truncate(f.stride(0) * h as usize);
        originals.push(luma);
        encoder.encode(&mut f, &mut keep)?;
    }
    encoder.finish(&mut keep)?;
    assert!(!packets.is_empty());

    let mut decoder = codec::context::Context::new_with_codec(
        ffmpeg_next::decoder::find(codec::Id::H264).ok_or("no H.264 decoder")?,
    )
    .decoder()
    .video()?;
    let mut decoded = Vec::new();
    let mut out = frame::Video::empty();
    for data in &packets {
        decoder.send_packet(&ffmpeg_next::Packet::copy(data))?;
        while decoder.receive_frame(&mut out).is_ok() {
            decoded.push((out.data(0).to_vec(), out.stride(0)));
        }
    }
    decoder.send_eof()?;
    while decoder.receive_frame(&mut out).is_ok() {
        decoded.push((out.data(0).to_vec(), out.stride(0)));
    }
    assert_eq!(decoded.len(), 10, "every frame comes back");
    // Luma of the first frame: mean absolute difference of a few levels at most (lossy but
    // the same picture; an all-green or black frame would differ by tens).
    let (y, stride) = &decoded[0];
    let src = &originals[0];
    let src_stride = src.len() / h as usize;
    let mut diff = 0u64;
    for row in 0..h as usize {
        for col in 0..w as usize {
            diff += u64::from(y[row * stride + col].abs_diff(src[row * src_stride + col]));
        }
    }
    let mean = diff as f64 / f64::from(w * h);
    assert!(mean < 3.0, "mean luma difference {mean}");
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
