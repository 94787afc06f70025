//! `popbooth capture ...`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use popbooth_capture::{TestCamera, grab_frame, video_devices};

/// `popbooth capture devices`: the system's video devices and the built-in test camera.
pub fn devices(json: bool) -> anyhow::Result<ExitCode> {
    let devices = video_devices();
    let test = TestCamera::default();
    if json {
        let value = serde_json::json!({
            "devices": devices,
            "test_camera": { "graph": test.graph(), "width": test.width, "height": test.height, "fps": test.fps },
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if devices.is_empty() {
            println!("no video devices");
        }
        for d in &devices {
            println!("{d}");
        }
        println!("test camera (built in): {}", test.graph());
    }
    Ok(ExitCode::SUCCESS)
}

/// `popbooth capture still --out F`: one frame of the test camera as JPEG or PNG.
pub fn still(out: &Path, size: &str) -> anyhow::Result<ExitCode> {
    let (width, height) = parse_size(size)?;
    let frame = grab_frame(&TestCamera {
        width,
        height,
        ..TestCamera::default()
    })?;
    let img = image::RgbImage::from_raw(frame.width, frame.height, frame.data)
        .context("the frame's size does not match its data")?;
    img.save(out)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{} ({}x{})", out.display(), frame.width, frame.height);
    Ok(ExitCode::SUCCESS)
}

fn parse_size(s: &str) -> anyhow::Result<(u32, u32)> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .with_context(|| format!("size {s:?} is not WIDTHxHEIGHT"))?;
    Ok((
        w.trim()
            .parse()
            .with_context(|| format!("width in {s:?}"))?,
        h.trim()
            .parse()
            .with_context(|| format!("height in {s:?}"))?,
    ))
}
