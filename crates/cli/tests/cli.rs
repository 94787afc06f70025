//! The `popbooth` binary as a user runs it: exit codes, text and the `--json` contract.

use std::process::Command;

use serde_json::Value;

/// The binary, with its encoder probe kept in a folder of the tests' own (not the user's).
fn popbooth() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_popbooth"));
    c.env(
        "POPBOOTH_CACHE_DIR",
        std::env::temp_dir().join("popbooth-cli-tests-cache"),
    );
    c
}

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Creates the event `dir` (named `name`) through the CLI.
fn create_event(dir: &std::path::Path, name: &str) -> TestResult {
    let created = popbooth()
        .args(["event", "create", "--name", name])
        .arg(dir)
        .output()?;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    Ok(())
}

#[test]
fn doctor_json_reports_every_part_and_passes_here() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let out = popbooth()
        .args(["doctor", "--json", "--event"])
        .arg(tmp.path())
        .output()?;
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert!(out.status.success(), "doctor failed: {report:#}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["problems"].as_array().map(Vec::len), Some(0));

    let version = report["ffmpeg"]["version"].as_str().unwrap_or_default();
    assert!(!version.is_empty() && version != "unknown", "{version}");
    let encoders = report["ffmpeg"]["encoders"]
        .as_array()
        .ok_or("no encoders")?;
    let x264 = encoders
        .iter()
        .find(|e| e["name"] == "libx264")
        .ok_or("no libx264")?;
    assert_eq!(x264["codec"], "h264");
    assert_eq!(x264["hardware"], false);
    assert_eq!(x264["opens"], true);
    assert_eq!(x264["works"], true);
    assert!(
        encoders.iter().any(|e| e["codec"] == "hevc"),
        "no HEVC encoder listed"
    );
    for e in encoders {
        assert_eq!(e["opens"].as_bool(), Some(e["error"].is_null()), "{e}");
        assert_eq!(
            e["works"].as_bool(),
            Some(e["check_error"].is_null()),
            "{e}"
        );
    }

    assert!(
        report["onnxruntime"]["version"]
            .as_str()
            .unwrap_or_default()
            .starts_with("1.")
    );
    let models = report["onnxruntime"]["models"]
        .as_array()
        .ok_or("no models")?;
    let names: Vec<_> = models.iter().filter_map(|m| m["model"].as_str()).collect();
    assert_eq!(
        names,
        [
            "face_detection_short_range",
            "face_detection_full_range",
            "face_landmark",
            "selfie_segmentation",
            "selfie_segmentation_landscape"
        ]
    );
    for m in models {
        assert!(m["load_ms"].as_f64().unwrap_or(0.0) > 0.0, "{m}");
        assert!(m["inference_ms"].as_f64().unwrap_or(0.0) > 0.0, "{m}");
    }
    assert!(
        report["sqlite"]["version"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
    assert!(report["disk"]["free_bytes"].as_u64().unwrap_or(0) > 0);
    assert!(report["printers"]["reachable"].is_array());
    Ok(())
}

#[test]
fn doctor_text_lists_the_parts() -> TestResult {
    let out = popbooth().arg("doctor").output()?;
    let text = String::from_utf8(out.stdout)?;
    assert!(out.status.success(), "{text}");
    for needle in [
        "FFmpeg",
        "libx264",
        "ONNX Runtime",
        "face_landmark",
        "SQLite",
        "Disk",
        "Printers",
        "All required parts work.",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    Ok(())
}

#[test]
fn doctor_fails_with_a_fix_when_onnx_runtime_is_missing() -> TestResult {
    let out = popbooth()
        .args(["doctor", "--json"])
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["ok"], false);
    let problem = report["problems"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["part"] == "onnxruntime"))
        .ok_or("no onnxruntime problem")?;
    assert!(
        problem["message"]
            .as_str()
            .unwrap_or_default()
            .contains("/nonexistent/libonnxruntime.so")
    );
    assert!(
        problem["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("scripts/setup")
    );
    // The other parts are still reported.
    assert!(
        report["ffmpeg"]["encoders"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );

    let out = popbooth()
        .arg("doctor")
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout)?;
    assert!(
        text.contains("problem (onnxruntime)") && text.contains("fix: run ./scripts/setup"),
        "{text}"
    );
    Ok(())
}

#[test]
fn event_create_and_info_round_trip_in_json() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("Fair");
    let out = popbooth()
        .args(["event", "create", "--json", "--name", "Fête \"=1+1\""])
        .arg(&dir)
        .output()?;
    assert!(out.status.success());
    let created: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(created["ok"], true);
    assert_eq!(created["event"]["name"], "Fête \"=1+1\"");
    assert_eq!(created["event"]["schema_version"], 6);

    let out = popbooth()
        .args(["event", "info", "--json"])
        .arg(&dir)
        .output()?;
    let info: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(info["event"], created["event"]);

    // Not an event: exit 1, a JSON error with a stable kind, and nothing created.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty)?;
    let out = popbooth()
        .args(["event", "info", "--json"])
        .arg(&empty)
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(err["ok"], false);
    assert_eq!(err["error"]["kind"], "not_an_event");
    assert_eq!(std::fs::read_dir(&empty)?.count(), 0);
    Ok(())
}

#[test]
fn doctor_fails_with_a_fix_when_the_models_are_missing() -> TestResult {
    let empty = tempfile::tempdir()?;
    let out = popbooth()
        .args(["doctor", "--json"])
        .env("POPBOOTH_MODELS_DIR", empty.path())
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    let problem = report["problems"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["part"] == "models"))
        .ok_or("no models problem")?;
    assert!(
        problem["message"]
            .as_str()
            .unwrap_or_default()
            .contains("face_detection_short_range.onnx")
    );
    assert!(
        problem["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("models")
    );
    // ONNX Runtime itself is fine and still reported.
    assert!(
        report["onnxruntime"]["version"]
            .as_str()
            .unwrap_or_default()
            .starts_with("1.")
    );
    assert_eq!(
        report["onnxruntime"]["models"].as_array().map(Vec::len),
        Some(0)
    );
    Ok(())
}

#[test]
fn capture_still_writes_the_test_camera_picture() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("still.png");
    let run = popbooth()
        .args(["capture", "still", "--size", "640x360", "--out"])
        .arg(&out)
        .output()?;
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let img = image::open(&out)?.to_rgb8();
    assert_eq!(img.dimensions(), (640, 360));
    let colours: std::collections::HashSet<_> = img.pixels().map(|p| p.0.map(|c| c >> 5)).collect();
    assert!(colours.len() > 20, "only {} colours", colours.len());

    let bad = popbooth()
        .args(["capture", "still", "--size", "640by360", "--out"])
        .arg(tmp.path().join("x.png"))
        .output()?;
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not WIDTHxHEIGHT"));
    assert!(!tmp.path().join("x.png").exists());
    Ok(())
}

#[test]
fn capture_devices_json_lists_the_test_camera() -> TestResult {
    let run = popbooth().args(["capture", "devices", "--json"]).output()?;
    assert!(run.status.success());
    let v: Value = serde_json::from_slice(&run.stdout)?;
    assert!(v["devices"].is_array());
    assert_eq!(v["input"], popbooth_capture::camera_input());
    assert!(v["error"].is_null(), "{v:#}");
    let sources = v["sources"].as_array().ok_or("no sources")?;
    assert_eq!(sources.len(), v["devices"].as_array().map_or(0, Vec::len));
    for s in sources {
        assert!(s["source"].as_str().is_some_and(|t| t.contains(':')), "{s}");
        assert!(s["name"].is_string() && s["video"].is_boolean() && s["default"].is_boolean());
    }
    assert!(v["mic_input"].is_string() && v["microphones"].is_array());
    assert_eq!(v["test_camera"]["source"], "test");
    assert_eq!(v["test_camera"]["graph"], "testsrc2=size=1280x720:rate=30");
    assert_eq!(v["test_camera"]["width"], 1280);
    Ok(())
}

#[test]
fn capture_encoders_json_is_the_kept_probe_and_names_a_working_h264_encoder() -> TestResult {
    let run = popbooth()
        .args(["capture", "encoders", "--json"])
        .output()?;
    assert!(run.status.success());
    let v: Value = serde_json::from_slice(&run.stdout)?;
    assert!(v["machine"].as_str().is_some_and(|m| m.contains("ffmpeg")));
    assert!(v["probed_at"].as_u64().is_some_and(|t| t > 1_700_000_000));
    let encoders = v["encoders"].as_array().ok_or("no encoders")?;
    assert!(
        encoders
            .iter()
            .any(|e| e["name"] == "libx264" && e["works"] == true)
    );
    for e in encoders {
        for key in [
            "name",
            "codec",
            "hardware",
            "opens",
            "error",
            "works",
            "check_error",
        ] {
            assert!(e.get(key).is_some(), "{key} missing in {e}");
        }
    }
    // The text form ends with the encoder recordings use, and a closed pipe is no error.
    let text = popbooth().args(["capture", "encoders"]).output()?;
    assert!(String::from_utf8(text.stdout)?.contains("records with: "));
    Ok(())
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() -> TestResult {
    use std::io::Read;
    let mut child = popbooth()
        .args(["capture", "encoders", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // Read one byte, then close the pipe like `| head -c1`.
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one)?;
    drop(stdout);
    let out = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
    Ok(())
}

#[test]
fn a_camera_that_is_not_there_is_a_clear_error() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let source = format!("{}:/dev/video97", popbooth_capture::camera_input());
    let run = popbooth()
        .args(["capture", "still", "--source", &source, "--out"])
        .arg(tmp.path().join("x.jpg"))
        .output()?;
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8(run.stderr)?;
    assert!(
        err.contains("could not open the source") && err.contains("video97"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    let bad = popbooth()
        .args([
            "capture",
            "record",
            "--source",
            "webcam",
            "--seconds",
            "1",
            "--out",
        ])
        .arg(tmp.path().join("x.mp4"))
        .output()?;
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8(bad.stderr)?.contains("is not a source"));
    Ok(())
}

/// `ffprobe`'s duration of `path` (decoding every frame) and the number of frames read.
fn probe(path: &std::path::Path) -> Result<(f64, u64), Box<dyn std::error::Error>> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "format=duration:stream=nb_read_frames",
            "-of",
            "json",
        ])
        .arg(path)
        .output()?;
    assert!(
        out.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)?;
    let duration: f64 = v["format"]["duration"]
        .as_str()
        .ok_or("no duration")?
        .parse()?;
    let frames: u64 = v["streams"][0]["nb_read_frames"]
        .as_str()
        .ok_or("no frames")?
        .parse()?;
    Ok((duration, frames))
}

#[test]
fn capture_record_writes_a_playable_mp4_of_the_asked_length() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("clip.mp4");
    let run = popbooth()
        .args([
            "capture",
            "record",
            "--seconds",
            "2",
            "--size",
            "640x360",
            "--fps",
            "25",
        ])
        .args(["--encoder", "libx264", "--out"])
        .arg(&out)
        .output()?;
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = String::from_utf8(run.stdout)?;
    assert!(text.contains("with libx264 (preset "), "{text}");
    assert!(text.contains("640x360 at 25 fps, with sound"), "{text}");
    assert!(
        text.contains("wrote 50 frames") && text.contains(" 0 dropped"),
        "{text}"
    );
    let (duration, frames) = probe(&out)?;
    assert_eq!(frames, 50);
    assert!((duration - 2.0).abs() < 0.1, "duration {duration}");
    let streams = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()?;
    let codecs = String::from_utf8(streams.stdout)?;
    assert_eq!(
        codecs.split_whitespace().collect::<Vec<_>>(),
        ["h264", "aac"]
    );
    Ok(())
}

/// kill -9 in the middle of a recording: the file still plays, up to its last complete
/// one-second fragment.
#[test]
fn a_recording_killed_mid_write_still_plays_up_to_the_last_fragment() -> TestResult {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("cut.mp4");
    let mut child = popbooth()
        .args([
            "capture",
            "record",
            "--seconds",
            "60",
            "--size",
            "640x360",
            "--fps",
            "30",
        ])
        .args(["--encoder", "libx264", "--preset", "ultrafast", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    assert!(line.starts_with("recording "), "{line}");
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(3300));
    child.kill()?; // SIGKILL
    let recorded = started.elapsed().as_secs_f64();
    child.wait()?;

    let (duration, frames) = probe(&out)?;
    // Everything up to the last complete fragment (1 s) is there, nothing invented.
    assert!(
        duration >= recorded - 1.0 - 0.4 && duration <= recorded + 0.1,
        "{duration} s playable after {recorded:.2} s of recording"
    );
    assert!(frames >= 60, "only {frames} frames decode");
    assert!(
        (frames as f64 / 30.0 - duration).abs() < 0.1,
        "{frames} frames for {duration} s"
    );
    Ok(())
}

#[test]
fn a_burst_lands_in_the_event_as_originals_and_rows() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("Strip");
    assert!(
        popbooth()
            .args(["event", "create", "--name", "Strip"])
            .arg(&dir)
            .output()?
            .status
            .success()
    );
    let run = popbooth()
        .args([
            "capture",
            "still",
            "--burst",
            "3",
            "--interval-ms",
            "200",
            "--size",
            "640x360",
            "--event",
        ])
        .arg(&dir)
        .output()?;
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lines: Vec<String> = String::from_utf8(run.stdout)?
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let mut files = std::collections::HashSet::new();
    for line in &lines {
        let (file, size) = line.split_once(' ').ok_or("no size")?;
        assert_eq!(size, "640x360");
        let img = image::open(dir.join(file))?;
        assert_eq!((img.width(), img.height()), (640, 360));
        files.insert(file.to_owned());
    }
    assert_eq!(files.len(), 3, "a burst takes three different frames");
    Ok(())
}

/// `portrait analyze --json`: the documented shape, with the astronaut's one face and open
/// eyes; crops that a 512 px photo cannot give are null with a note.
#[test]
fn portrait_analyze_json_has_faces_quality_and_crops() -> TestResult {
    let photo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/samples/astronaut.png");
    let run = popbooth()
        .args(["portrait", "analyze", "--json"])
        .arg(&photo)
        .output()?;
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let v: Value = serde_json::from_slice(&run.stdout)?;
    assert_eq!(v["ok"], true);
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(512), Some(512))
    );
    let faces = v["faces"].as_array().ok_or("no faces")?;
    assert_eq!(faces.len(), 1);
    let b: Vec<f64> = faces[0]["box"]
        .as_array()
        .ok_or("no box")?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert_eq!(b.len(), 4);
    assert!(
        b[0] > 150.0 && b[2] < 300.0 && b[1] > 50.0 && b[3] < 200.0,
        "{b:?}"
    );
    assert!(faces[0]["score"].as_f64().is_some_and(|s| s > 0.8));
    assert_eq!(faces[0]["keypoints"].as_array().map(Vec::len), Some(6));
    assert_eq!(faces[0]["eyes_open"], true);
    let q = &v["quality"];
    assert!(
        q["score"]
            .as_f64()
            .is_some_and(|s| (0.0..=1.0).contains(&s))
    );
    assert!(q["reasons"].is_array());
    let crops = v["crops"].as_object().ok_or("no crops")?;
    for name in ["4x6", "6x4", "5x7", "strip", "1x1", "4x5", "9x16"] {
        let c = crops.get(name).ok_or(format!("no {name}"))?;
        assert!(
            c.is_null() || c.as_array().is_some_and(|a| a.len() == 4),
            "{name}: {c}"
        );
        if c.is_null() {
            assert!(v["crop_notes"][name].is_string());
        }
    }
    assert!(crops["4x6"].is_null());

    // Not a photo: exit 1 with the reason, in JSON too.
    let tmp = tempfile::tempdir()?;
    let notes = tmp.path().join("notes.jpg");
    std::fs::write(&notes, "not a photo")?;
    let bad = popbooth()
        .args(["portrait", "analyze", "--json"])
        .arg(&notes)
        .output()?;
    assert_eq!(bad.status.code(), Some(1));
    let e: Value = serde_json::from_slice(&bad.stdout)?;
    assert_eq!(e["ok"], false);
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|t| t.contains("not a usable photo")),
        "{e}"
    );
    Ok(())
}

#[test]
fn sales_report_of_a_new_event_in_json_and_csv() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("Fair");
    let out = popbooth()
        .args(["event", "create", "--name", "Fair"])
        .arg(&dir)
        .output()?;
    assert!(out.status.success());
    let out = popbooth()
        .args(["sales", "report", "--json", "--event"])
        .arg(&dir)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["ok"], true);
    assert_eq!(report["kpis"]["orders"], 0);
    assert_eq!(report["kpis"]["revenue_minor"], 0);
    assert_eq!(report["kpis"]["currency"], Value::Null);
    let out = popbooth()
        .args(["sales", "report", "--csv", "--event"])
        .arg(&dir)
        .output()?;
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout)?,
        "order,time,customer,email,total_minor,paid_minor,currency,status\n"
    );
    Ok(())
}

#[test]
fn a_catalogue_imports_and_exports_through_the_cli() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("Fair");
    create_event(&dir, "Fair")?;
    let file = tmp.path().join("catalogue.json");
    std::fs::write(
        &file,
        r#"{ "items": [ { "sku": "P46", "name": "4x6 print", "kind": "print", "size": "4x6",
             "copies": 1, "price_minor": 1200, "currency": "EUR",
             "tax": { "rate_bp": 2000, "inclusive": true } } ] }"#,
    )?;
    let out = popbooth()
        .args(["sales", "catalog", "import"])
        .arg(&file)
        .arg("--event")
        .arg(&dir)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout)?,
        "1 added, 0 updated, 0 coupons\n"
    );
    let out = popbooth()
        .args(["sales", "catalog", "export", "--event"])
        .arg(&dir)
        .output()?;
    assert!(out.status.success());
    let exported: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(exported["items"][0]["sku"], "P46");
    assert_eq!(exported["items"][0]["kind"], "print");
    assert_eq!(exported["items"][0]["price_minor"], 1200);
    assert_eq!(exported["items"][0]["stock"], Value::Null);
    // A broken file is refused with a reason, and changes nothing.
    std::fs::write(&file, "{ nope")?;
    let out = popbooth()
        .args(["sales", "catalog", "import"])
        .arg(&file)
        .arg("--event")
        .arg(&dir)
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the catalogue"));
    // As CSV: out to a .csv file, edited in a "spreadsheet", back in.
    let csv = tmp.path().join("catalogue.csv");
    let out = popbooth()
        .args(["sales", "catalog", "export", "--event"])
        .arg(&dir)
        .arg("--out")
        .arg(&csv)
        .output()?;
    assert!(out.status.success());
    let text = std::fs::read_to_string(&csv)?;
    assert!(
        text.starts_with("sku,name,kind,price_minor,currency,"),
        "{text}"
    );
    assert!(
        text.contains("P46,4x6 print,print,1200,EUR,2000,true,,4x6,1,"),
        "{text}"
    );
    std::fs::write(
        &csv,
        format!("{text}POSTER,Tour poster,drop,3000,EUR,2000,true,50,,,,,,\n"),
    )?;
    let out = popbooth()
        .args(["sales", "catalog", "import"])
        .arg(&csv)
        .arg("--event")
        .arg(&dir)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout)?,
        "1 added, 1 updated, 0 coupons\n"
    );
    Ok(())
}

#[test]
fn a_sync_with_no_shared_database_says_so_and_keeps_the_sales()
-> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("Fair");
    create_event(&dir, "Fair")?;
    // Nothing listens on port 1: the booth is offline.
    let offline_sync = || {
        popbooth()
            .args([
                "sales",
                "sync",
                "--json",
                "--festival",
                "fest",
                "--timeout",
                "2",
            ])
            .args([
                "--db",
                "postgres://postgres@127.0.0.1:1/postgres",
                "--event",
            ])
            .arg(&dir)
            .output()
    };
    let out = offline_sync()?;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["ok"], false);
    assert!(v["booth"].as_str().is_some_and(|b| !b.is_empty()), "{v}");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("shared database")),
        "{v}"
    );
    // The booth's name is kept: the next run is the same booth.
    let again = offline_sync()?;
    let w: Value = serde_json::from_slice(&again.stdout)?;
    assert_eq!(w["booth"], v["booth"]);
    Ok(())
}

#[test]
fn bench_sales_prints_both_sides_and_ends_with_the_ratio() -> Result<(), Box<dyn std::error::Error>>
{
    let out = popbooth()
        .args(["bench", "sales", "--sales", "40", "--runs", "1"])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    assert!(
        text.contains("one till:") && text.contains("8 tills at once:"),
        "{text}"
    );
    let last = text.lines().last().ok_or("no output")?;
    let ratio: f64 = last.strip_prefix("ratio: ").ok_or(text.clone())?.parse()?;
    assert!(ratio > 0.0, "{text}");
    Ok(())
}

/// Two booths through the CLI and a real PostgreSQL: A's sales reach B, and B's report shows
/// them; the JSON of `sales sync` as docs/cli-json.md has it.
#[test]
fn two_booths_sync_through_the_cli() -> Result<(), Box<dyn std::error::Error>> {
    let pg = popbooth_tests::Postgres::start()?;
    let tmp = tempfile::tempdir()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let (a, b) = (tmp.path().join("A"), tmp.path().join("B"));
    for dir in [&a, &b] {
        create_event(dir, "Fest")?;
    }
    // Two sales at booth A (through the crate: the CLI has no till).
    runtime.block_on(async {
        let event = popbooth_store::Event::open(&a).await?;
        let sales = popbooth_sales::Sales::open(&event).await?;
        let poster = sales
            .add_item(popbooth_sales::NewItem {
                sku: "POSTER".into(),
                name: "Tour poster".into(),
                kind: popbooth_sales::ItemKind::Drop,
                price_minor: 3000,
                currency: "EUR".into(),
                tax: popbooth_sales::Tax::default(),
                stock: Some(10),
            })
            .await?;
        for key in ["a-1", "a-2"] {
            sales
                .sell(&popbooth_sales::Sale {
                    idempotency_key: key.into(),
                    lines: vec![popbooth_sales::CartLine {
                        item_id: poster.id.clone(),
                        qty: 1,
                    }],
                    payment: Some(popbooth_sales::PaymentMethod::Complimentary),
                    ..popbooth_sales::Sale::default()
                })
                .await?;
        }
        event.close().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    let sync = |dir: &std::path::Path| -> Result<Value, Box<dyn std::error::Error>> {
        let out = popbooth()
            .args([
                "sales",
                "sync",
                "--json",
                "--festival",
                "fest",
                "--db",
                &pg.url(),
            ])
            .arg("--event")
            .arg(dir)
            .output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let pushed = sync(&a)?;
    assert_eq!(pushed["ok"], true);
    assert_eq!(pushed["festival"], "fest");
    assert_eq!(pushed["sync"]["pushed"], 4, "{pushed}");
    let pulled = sync(&b)?;
    assert_eq!(pulled["sync"]["pulled"], 4, "{pulled}");
    assert!(
        pulled["sync"]["catalog_changes"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    );
    assert_ne!(pulled["booth"], pushed["booth"]);
    // B gives itself a quota of the poster through the CLI; too many is refused.
    let booth_b = pulled["booth"].as_str().ok_or("no booth")?;
    let quota = |units: &str| {
        popbooth()
            .args(["sales", "quota", "--festival", "fest", "--db", &pg.url()])
            .args(["--sku", "POSTER", "--booth", booth_b, "--units", units])
            .output()
    };
    let given = quota("4")?;
    assert!(
        given.status.success(),
        "{}",
        String::from_utf8_lossy(&given.stderr)
    );
    assert_eq!(
        String::from_utf8(given.stdout)?,
        format!("{booth_b} may sell 4 of POSTER\n")
    );
    assert!(!quota("11")?.status.success());
    // B's report is the festival's: A's two orders.
    let out = popbooth()
        .args(["sales", "report", "--json", "--event"])
        .arg(&b)
        .output()?;
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["kpis"]["orders"], 2, "{report}");
    Ok(())
}

#[test]
fn the_queue_lists_cancels_retries_and_pauses() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("Fair");
    create_event(&dir, "Fair")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let id = runtime.block_on(async {
        let event = popbooth_store::Event::open(&dir).await?;
        let queue = popbooth_delivery::Queue::new(&event);
        let job = queue
            .enqueue(&popbooth_delivery::NewJob::new(
                popbooth_delivery::JobKind::Print,
                serde_json::json!({ "order": "o-1" }),
            ))
            .await?;
        event.close().await;
        Ok::<String, Box<dyn std::error::Error>>(job.id)
    })?;
    let list = || -> Result<Value, Box<dyn std::error::Error>> {
        let out = popbooth()
            .args(["queue", "list", "--json", "--event"])
            .arg(&dir)
            .output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let jobs = list()?;
    assert_eq!(jobs["ok"], true);
    assert_eq!(jobs["jobs"][0]["id"], id.as_str());
    assert_eq!(jobs["jobs"][0]["kind"], "print");
    assert_eq!(jobs["jobs"][0]["state"], "queued");
    assert_eq!(jobs["jobs"][0]["payload"], r#"{"order":"o-1"}"#);
    let cancel = popbooth()
        .args(["queue", "cancel", &id, "--event"])
        .arg(&dir)
        .output()?;
    assert!(cancel.status.success());
    assert_eq!(list()?["jobs"][0]["state"], "cancelled");
    // Cancelling twice is refused; a retry queues it again.
    let again = popbooth()
        .args(["queue", "cancel", &id, "--event"])
        .arg(&dir)
        .output()?;
    assert_eq!(again.status.code(), Some(1));
    let retry = popbooth()
        .args(["queue", "retry", &id, "--event"])
        .arg(&dir)
        .output()?;
    assert!(retry.status.success());
    assert_eq!(list()?["jobs"][0]["state"], "queued");
    let pause = popbooth()
        .args(["queue", "pause", "--kind", "print", "--event"])
        .arg(&dir)
        .output()?;
    assert_eq!(String::from_utf8(pause.stdout)?, "paused print\n");
    let bad = popbooth()
        .args(["queue", "pause", "--kind", "fax", "--event"])
        .arg(&dir)
        .output()?;
    assert!(!bad.status.success());
    // Paused: a worker gets nothing.
    let claimed = runtime.block_on(async {
        let event = popbooth_store::Event::open(&dir).await?;
        let job = popbooth_delivery::Queue::new(&event)
            .claim("w", &[], std::time::Duration::from_secs(5))
            .await?;
        event.close().await;
        Ok::<bool, Box<dyn std::error::Error>>(job.is_some())
    })?;
    assert!(!claimed);
    Ok(())
}
