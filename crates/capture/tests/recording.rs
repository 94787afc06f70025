//! Recording, sources and encoder fallback against the real FFmpeg libraries; the files
//! written are opened again and decoded to check what is in them.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use ffmpeg_next::{frame, media};
use popbooth_capture::{
    CaptureError, Fallback, RecordEvent, RecordSettings, Source, TestCamera, record,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// What a media file holds, read back with FFmpeg's demuxer and decoders.
#[derive(Debug, Default)]
struct Contents {
    video_codec: String,
    size: (u32, u32),
    video_frames: u64,
    audio_codec: Option<String>,
    audio_rate: u32,
    audio_samples: u64,
    /// Sign changes of the first audio channel: 2 per period of a tone.
    zero_crossings: u64,
}

fn contents(path: &Path) -> Result<Contents, Box<dyn std::error::Error>> {
    popbooth_capture::init()?;
    let mut input = ffmpeg_next::format::input(path)?;
    let mut out = Contents::default();
    let video = input
        .streams()
        .best(media::Type::Video)
        .ok_or("no video stream")?;
    let video_index = video.index();
    let mut vdec = ffmpeg_next::codec::context::Context::from_parameters(video.parameters())?
        .decoder()
        .video()?;
    out.video_codec = vdec.id().name().to_owned();
    let audio = input
        .streams()
        .best(media::Type::Audio)
        .map(|s| (s.index(), s.parameters()));
    let mut adec = match audio {
        Some((i, params)) => {
            let d = ffmpeg_next::codec::context::Context::from_parameters(params)?
                .decoder()
                .audio()?;
            out.audio_codec = Some(d.id().name().to_owned());
            Some((i, d))
        }
        None => None,
    };
    let mut vf = frame::Video::empty();
    let mut af = frame::Audio::empty();
    let mut last_sign = 0i8;
    let mut on_audio = |af: &frame::Audio, out: &mut Contents| {
        out.audio_rate = af.rate();
        out.audio_samples += af.samples() as u64;
        // AAC decodes to planar float.
        let samples = af.data(0);
        for s in samples.chunks_exact(4).take(af.samples()) {
            let v = f32::from_ne_bytes([s[0], s[1], s[2], s[3]]);
            let sign = if v > 0.01 {
                1
            } else if v < -0.01 {
                -1
            } else {
                0
            };
            if sign != 0 && sign != last_sign {
                if last_sign != 0 {
                    out.zero_crossings += 1;
                }
                last_sign = sign;
            }
        }
    };
    for (stream, packet) in input.packets() {
        if stream.index() == video_index {
            vdec.send_packet(&packet)?;
            while vdec.receive_frame(&mut vf).is_ok() {
                out.size = (vf.width(), vf.height());
                out.video_frames += 1;
            }
        } else if let Some((i, d)) = adec.as_mut()
            && stream.index() == *i
        {
            d.send_packet(&packet)?;
            while d.receive_frame(&mut af).is_ok() {
                on_audio(&af, &mut out);
            }
        }
    }
    vdec.send_eof()?;
    while vdec.receive_frame(&mut vf).is_ok() {
        out.video_frames += 1;
    }
    if let Some((_, d)) = adec.as_mut() {
        d.send_eof()?;
        while d.receive_frame(&mut af).is_ok() {
            on_audio(&af, &mut out);
        }
    }
    Ok(out)
}

fn settings(out: &Path, seconds: f64) -> RecordSettings {
    RecordSettings {
        out: out.to_owned(),
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
        duration: Some(Duration::from_secs_f64(seconds)),
        fail_encoder_after: None,
    }
}

/// The test camera records to H.264 + AAC; the file decodes back to the expected number of
/// frames and to two seconds of its 440 Hz tone.
#[test]
fn a_recording_has_the_pictures_and_the_tone_of_the_test_camera() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("clip.mp4");
    let stop = AtomicBool::new(false);
    let mut events = Vec::new();
    let report = record(&settings(&out, 2.0), &stop, |e| events.push(e))?;
    assert_eq!(report.frames + report.dropped, 60);
    assert_eq!(report.segments.len(), 1);
    assert!(matches!(
        events.first(),
        Some(RecordEvent::Started { audio: true, encoder, width: 320, height: 240, fps: 30, .. }) if encoder == "libx264"
    ));

    let c = contents(&out)?;
    assert_eq!(c.video_codec, "h264");
    assert_eq!(c.size, (320, 240));
    assert_eq!(c.video_frames, report.frames);
    assert_eq!(c.audio_codec.as_deref(), Some("aac"));
    assert_eq!(c.audio_rate, 48_000);
    let seconds = c.audio_samples as f64 / 48_000.0;
    assert!((1.9..=2.2).contains(&seconds), "{seconds} s of sound");
    assert!(
        (report.audio_seconds - 2.0).abs() < 0.1,
        "{}",
        report.audio_seconds
    );
    // 440 Hz: 880 sign changes a second.
    let hz = c.zero_crossings as f64 / 2.0 / seconds;
    assert!((430.0..=450.0).contains(&hz), "the tone is {hz:.0} Hz");
    Ok(())
}

/// Without audio asked for, the file has no audio stream.
#[test]
fn sound_can_be_left_out() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("silent.mp4");
    let report = record(
        &RecordSettings {
            audio: false,
            ..settings(&out, 0.5)
        },
        &AtomicBool::new(false),
        |_| {},
    )?;
    assert_eq!(report.audio_seconds, 0.0);
    let c = contents(&out)?;
    assert!(c.audio_codec.is_none());
    assert_eq!(c.video_frames, report.frames);
    Ok(())
}

/// The first encoder gives out after 20 frames, as a crashing hardware driver does: the
/// recording goes on with the fallback in a second file, says so exactly once, and the two
/// files together hold every frame: nothing recorded is lost.
#[test]
fn an_encoder_that_fails_mid_recording_is_replaced_by_the_fallback_in_a_new_segment() -> TestResult
{
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("show.mp4");
    let mut events = Vec::new();
    let report = record(
        &RecordSettings {
            encoder: "libx265".into(),
            preset: Some("ultrafast".into()),
            fallback: Some(Fallback {
                encoder: "libx264".into(),
                preset: Some("ultrafast".into()),
            }),
            fail_encoder_after: Some(20),
            ..settings(&out, 2.0)
        },
        &AtomicBool::new(false),
        |e| events.push(e),
    )?;
    let fell_back: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, RecordEvent::FellBack { .. }))
        .collect();
    assert_eq!(fell_back.len(), 1, "{events:?}");
    let second = dir.path().join("show-part2.mp4");
    assert!(matches!(
        fell_back[0],
        RecordEvent::FellBack { from, to, file, .. } if from == "libx265" && to == "libx264" && *file == second
    ));
    assert_eq!(report.segments.len(), 2);
    assert_eq!(report.segments[0].frames, 20);
    assert_eq!(report.segments[0].encoder, "libx265");
    assert_eq!(report.segments[1].encoder, "libx264");

    let first = contents(&out)?;
    let rest = contents(&second)?;
    assert_eq!(first.video_codec, "hevc");
    assert_eq!(rest.video_codec, "h264");
    // The failed encoder's last frames may be lost inside it; what it returned is kept.
    assert!(
        (1..=20).contains(&first.video_frames),
        "{} frames in the first segment",
        first.video_frames
    );
    assert_eq!(rest.video_frames, report.segments[1].frames);
    assert_eq!(report.frames, 20 + rest.video_frames);
    assert_eq!(report.frames + report.dropped, 60);
    assert!(first.audio_codec.is_some() && rest.audio_codec.is_some());
    Ok(())
}

/// Without a fallback, the encoder's failure is the recording's error, and the file written
/// so far still plays.
#[test]
fn without_a_fallback_an_encoder_failure_ends_the_recording_with_a_playable_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("cut.mp4");
    let result = record(
        &RecordSettings {
            fail_encoder_after: Some(40),
            ..settings(&out, 2.0)
        },
        &AtomicBool::new(false),
        |_| {},
    );
    assert!(
        matches!(result, Err(CaptureError::Encoder { .. })),
        "{result:?}"
    );
    let c = contents(&out)?;
    assert!(
        (30..=40).contains(&c.video_frames),
        "{} frames",
        c.video_frames
    );
    Ok(())
}

/// An encoder that does not open at all is replaced before the first frame.
#[test]
fn an_encoder_that_does_not_open_is_replaced_at_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("nvenc.mp4");
    let mut events = Vec::new();
    let report = record(
        &RecordSettings {
            encoder: "h264_nvenc".into(), // no NVIDIA GPU on the test machines
            preset: None,
            fallback: Some(Fallback {
                encoder: "libx264".into(),
                preset: Some("ultrafast".into()),
            }),
            ..settings(&out, 0.5)
        },
        &AtomicBool::new(false),
        |e| events.push(e),
    )?;
    // A machine where NVENC works records with it, and there is nothing to check here.
    if report.segments[0].encoder == "h264_nvenc" {
        return Ok(());
    }
    assert!(matches!(&events[0], RecordEvent::FellBack { from, .. } if from == "h264_nvenc"));
    assert_eq!(report.segments[0].encoder, "libx264");
    assert_eq!(contents(&out)?.video_codec, "h264");
    Ok(())
}

#[test]
fn sources_are_written_as_text_and_read_back() -> TestResult {
    for text in [
        "test",
        "v4l2:/dev/video0",
        "avfoundation:0:0",
        "dshow:video=HD Pro Webcam C920",
    ] {
        let source: Source = text.parse()?;
        assert_eq!(source.to_string(), text);
    }
    let test: Source = "test".parse()?;
    assert_eq!(
        test.clone()
            .with_mode(Some((640, 480)), Some(15))
            .nominal_mode(),
        (640, 480, 15)
    );
    let cam: Source = "v4l2:/dev/video0".parse()?;
    assert_eq!(cam.nominal_mode(), (1920, 1080, 30));
    for bad in [
        "",
        "webcam",
        "nope:/dev/video0",
        "v4l2:",
        "v4l2:/dev/vid\0eo0",
    ] {
        let e = bad
            .parse::<Source>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("is not a source"), "{bad:?}: {e}");
    }
    Ok(())
}

/// A device that is not there fails to open with its name in the message, and listing the
/// devices works (an empty list on a machine without cameras).
#[test]
fn a_missing_device_is_a_clear_error_and_listing_works() -> TestResult {
    let source: Source = format!("{}:/dev/video97", popbooth_capture::camera_input()).parse()?;
    if cfg!(target_os = "linux") {
        let e = popbooth_capture::grab_frame(&source)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("/dev/video97"), "{e}");
    }
    let devices = popbooth_capture::list_devices()?;
    for d in &devices {
        assert!(d.source.starts_with(popbooth_capture::camera_input()));
        d.source.parse::<Source>()?;
    }
    Ok(())
}

/// Frames of another size and pixel format than the encoder's are converted on the way in
/// (a camera delivering YUYV at another size, or reconnecting in another mode).
#[test]
fn the_encoder_converts_frames_of_another_size_and_format() -> TestResult {
    use popbooth_capture::{CameraSource, EncoderSettings, VideoEncoder};
    let mut enc = VideoEncoder::open(&EncoderSettings {
        preset: Some("ultrafast".into()),
        ..EncoderSettings::new("libx264", 320, 240, 30)
    })?;
    let mut src = CameraSource::lavfi("testsrc2=size=640x360:rate=30,format=yuyv422")?;
    let mut f = frame::Video::empty();
    let mut packets = 0;
    for _ in 0..10 {
        assert!(src.next_frame(&mut f)?);
        assert_eq!(f.format(), ffmpeg_next::format::Pixel::YUYV422);
        enc.encode(&mut f, &mut |_| packets += 1)?;
    }
    enc.finish(&mut |_| packets += 1)?;
    assert_eq!(packets, 10);
    Ok(())
}

/// A microphone of its own (on Linux a webcam's microphone is an ALSA device beside the
/// video; here a 1 kHz tone at 44.1 kHz stands in for it): its sound replaces the source's
/// 440 Hz tone in the recording, at its own rate.
#[test]
fn a_separate_microphone_is_recorded_instead_of_the_sources_sound() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("mic.mp4");
    let report = record(
        &RecordSettings {
            mic: Some("lavfi:sine=frequency=1000:sample_rate=44100".into()),
            ..settings(&out, 2.0)
        },
        &AtomicBool::new(false),
        |_| {},
    )?;
    let c = contents(&out)?;
    assert_eq!(c.audio_codec.as_deref(), Some("aac"));
    assert_eq!(c.audio_rate, 44_100);
    let seconds = c.audio_samples as f64 / 44_100.0;
    assert!((1.8..=2.2).contains(&seconds), "{seconds} s of sound");
    let hz = c.zero_crossings as f64 / 2.0 / seconds;
    assert!(
        (980.0..=1020.0).contains(&hz),
        "the microphone's tone is {hz:.0} Hz"
    );
    assert_eq!(c.video_frames, report.frames);

    // A microphone that is not there is a clear error before anything is written.
    let missing = record(
        &RecordSettings {
            mic: Some("alsa:hw:97,0".into()),
            ..settings(&dir.path().join("none.mp4"), 1.0)
        },
        &AtomicBool::new(false),
        |_| {},
    );
    let e = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("alsa:hw:97,0"), "{e}");
    // Listing microphones works (an empty list on a machine without sound cards).
    for m in popbooth_capture::list_microphones()? {
        assert!(m.audio && m.source.starts_with(popbooth_capture::mic_input()));
    }
    Ok(())
}
