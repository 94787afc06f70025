//! The portrait crate with the real ONNX Runtime library and the real models.

use std::path::Path;

use popbooth_portrait::{FaceDetector, ModelKind, Models, Runtime, find_models_dir};

fn astronaut() -> Result<image::RgbImage, Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/samples/astronaut.png");
    Ok(image::open(path)?.to_rgb8())
}

#[test]
fn all_five_models_load_and_run() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::get(&[])?;
    assert!(
        runtime.version().starts_with("1."),
        "version {}",
        runtime.version()
    );
    let models = Models::load(&runtime, &find_models_dir(&[])?)?;
    let timings = models.timings()?;
    let kinds: Vec<_> = timings.iter().map(|t| t.model).collect();
    assert_eq!(kinds, ModelKind::ALL);
    for t in &timings {
        assert!(t.load_ms > 0.0 && t.inference_ms > 0.0, "{t:?}");
    }
    // The PyPI CPU library offers no GPU provider; the CPU is always last.
    assert_eq!(models.providers().last(), Some(&"CPU"));
    Ok(())
}

#[test]
fn exactly_one_face_is_found_in_the_astronaut_portrait() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::get(&[])?;
    let models = Models::load(&runtime, &find_models_dir(&[])?)?;
    let image = astronaut()?;
    let faces = FaceDetector::new(&models).detect(&image)?;
    assert_eq!(faces.len(), 1, "{faces:#?}");
    let face = &faces[0];
    assert!(face.score > 0.8, "score {}", face.score);
    // Eileen Collins' face in the 512x512 photo: roughly x 165..260, y 60..180 (checked by
    // eye on the image). The box must sit on it, at face size.
    let b = face.bbox;
    let (cx, cy) = b.center();
    assert!((190.0..235.0).contains(&cx), "centre x {cx}");
    assert!((95.0..145.0).contains(&cy), "centre y {cy}");
    assert!(
        (60.0..140.0).contains(&b.w) && (60.0..140.0).contains(&b.h),
        "size {}x{}",
        b.w,
        b.h
    );
    // Keypoints: the subject's right eye is on the image's left, both eyes above the mouth.
    let [right_eye, left_eye, nose, mouth, ..] = face.keypoints;
    assert!(right_eye[0] < left_eye[0], "{right_eye:?} {left_eye:?}");
    assert!(right_eye[1] < mouth[1] && left_eye[1] < mouth[1]);
    assert!(nose[1] > right_eye[1] && nose[1] < mouth[1]);
    for k in face.keypoints.iter().take(4) {
        assert!(
            k[0] > b.x && k[0] < b.x + b.w && k[1] > b.y && k[1] < b.y + b.h,
            "{k:?} outside {b:?}"
        );
    }
    Ok(())
}

#[test]
fn no_face_in_a_flat_grey_picture() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::get(&[])?;
    let models = Models::load(&runtime, &find_models_dir(&[])?)?;
    let grey = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
    assert!(FaceDetector::new(&models).detect(&grey)?.is_empty());
    Ok(())
}

fn models() -> Result<popbooth_portrait::Models, Box<dyn std::error::Error>> {
    let runtime = popbooth_portrait::Runtime::get(&[])?;
    let dir = popbooth_portrait::find_models_dir(&[])?;
    Ok(popbooth_portrait::Models::load(&runtime, &dir)?)
}

/// The astronaut at 2048 px: big enough for prints.
fn astronaut_2048() -> Result<image::RgbImage, Box<dyn std::error::Error>> {
    Ok(image::imageops::resize(
        &astronaut()?,
        2048,
        2048,
        image::imageops::FilterType::Lanczos3,
    ))
}

/// The portrait analysed: one face with open eyes, level, surely a face; a good shot; every
/// format framed with the face inside, eyes near the upper third unless the photo's top is
/// reached, and the format's shape.
#[test]
fn the_astronaut_portrait_is_one_sharp_face_with_open_eyes_framed_for_every_format()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{FORMATS, analyze};
    let models = models()?;
    let image = astronaut_2048()?;
    let a = analyze(&models, &image)?;
    assert_eq!(a.faces.len(), 1, "{:?}", a.faces);
    let face = &a.faces[0];
    assert!(
        face.eyes_open && face.eye_openness.iter().all(|&o| o > 0.2),
        "{face:?}"
    );
    assert!(face.presence > 0.9 && face.roll.abs() < 10.0, "{face:?}");
    // (A second detection in the 2048 px picture, on the suit, is rejected by the landmark
    // model's face-presence score: `rejected_faces` counts it.)
    assert_eq!(a.quality.score, 1.0, "{:?}", a.quality);
    assert!(a.quality.reasons.is_empty());
    for format in &FORMATS {
        let c =
            a.crops[format.name].ok_or(format!("no {} crop: {:?}", format.name, a.crop_notes))?;
        let (w, h) = (c[2] - c[0], c[3] - c[1]);
        assert!(
            (w / h - format.aspect).abs() < 0.01,
            "{} is {w}x{h}",
            format.name
        );
        assert!(c[0] >= 0.0 && c[1] >= 0.0 && c[2] <= 2048.0 && c[3] <= 2048.0);
        let b = face.bbox;
        assert!(
            b[0] >= c[0] && b[2] <= c[2] && b[1] >= c[1] && b[3] <= c[3],
            "{}: {c:?} {b:?}",
            format.name
        );
        let eyes = (face.keypoints[0][1] + face.keypoints[1][1]) / 2.0;
        let third = c[1] + h / 3.0;
        assert!(
            eyes <= third + 1.0 || c[1] == 0.0,
            "{}: eyes at {eyes}, third at {third}",
            format.name
        );
    }
    // The same photo at 512 px is too small for prints, and says so.
    let small = analyze(&models, &astronaut()?)?;
    assert!(small.crops["4x6"].is_none());
    assert!(
        small.crop_notes["4x6"].contains("too few pixels"),
        "{:?}",
        small.crop_notes
    );
    Ok(())
}

/// A blurred shot and an overexposed one are scored down with the reason; a picture without
/// a face scores 0.
#[test]
fn blur_overexposure_and_no_face_lower_the_score_with_reasons()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{analyze, best_of};
    let models = models()?;
    let sharp = analyze(&models, &astronaut_2048()?)?;
    let blurred = analyze(&models, &image::imageops::blur(&astronaut_2048()?, 6.0))?;
    assert!(
        blurred
            .quality
            .reasons
            .iter()
            .any(|r| r.starts_with("blurry")),
        "{:?}",
        blurred.quality
    );
    assert!(blurred.quality.score < 0.5);
    let mut bright = astronaut_2048()?;
    for p in bright.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = (f32::from(*c) * 2.2).min(255.0) as u8;
        }
    }
    let over = analyze(&models, &bright)?;
    assert!(
        over.quality
            .reasons
            .iter()
            .any(|r| r.starts_with("overexposed")),
        "{:?}",
        over.quality
    );
    let grey = analyze(
        &models,
        &image::RgbImage::from_pixel(1200, 900, image::Rgb([128, 128, 128])),
    )?;
    assert_eq!(grey.quality.score, 0.0);
    assert_eq!(grey.quality.reasons, ["no face"]);
    assert!(grey.crops.values().all(Option::is_none));
    // Best of a burst: the sharp, well-exposed one.
    assert_eq!(
        best_of(&[blurred.quality, sharp.quality, over.quality]),
        Some(1)
    );
    Ok(())
}

/// A group of six at booth distance (faces about 130 px in a 4000x3000 photo): every face is
/// found, checked as a face, and the landscape crop holds them all.
#[test]
fn every_face_of_a_group_of_six_is_found() -> Result<(), Box<dyn std::error::Error>> {
    let models = models()?;
    let person = image::imageops::resize(
        &astronaut()?,
        700,
        700,
        image::imageops::FilterType::Triangle,
    );
    let mut group = image::RgbImage::from_pixel(4000, 3000, image::Rgb([90, 100, 110]));
    for i in 0..6 {
        image::imageops::overlay(&mut group, &person, i * 650 + 50, 1000 + (i % 2) * 200);
    }
    let a = popbooth_portrait::analyze(&models, &group)?;
    assert_eq!(
        a.faces.len(),
        6,
        "{:?}",
        a.faces.iter().map(|f| f.bbox).collect::<Vec<_>>()
    );
    let mut centres: Vec<f32> = a
        .faces
        .iter()
        .map(|f| (f.bbox[0] + f.bbox[2]) / 2.0)
        .collect();
    centres.sort_by(f32::total_cmp);
    for (i, c) in centres.iter().enumerate() {
        // Each astronaut's face centre is about 225/512 of the way across her picture.
        let expected = i as f32 * 650.0 + 50.0 + 700.0 * 225.0 / 512.0;
        assert!(
            (c - expected).abs() < 40.0,
            "face {i} at {c}, expected {expected}"
        );
    }
    assert!(a.faces.iter().all(|f| f.presence > 0.5 && f.eyes_open));
    let wide = a.crops["6x4"].ok_or("no 6x4 crop for the group")?;
    for f in &a.faces {
        assert!(f.bbox[0] >= wide[0] && f.bbox[2] <= wide[2]);
    }
    Ok(())
}

/// EXIF orientation is applied before anything else: a JPEG stored sideways with
/// orientation 6 ("rotate 90 clockwise") decodes upright and its face is found.
#[test]
fn exif_orientation_is_applied_before_detection() -> Result<(), Box<dyn std::error::Error>> {
    let upright = astronaut()?;
    let sideways = image::imageops::rotate270(&upright); // as a camera held upright stores it
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92).encode_image(&sideways)?;
    // APP1 Exif segment: a little-endian TIFF header and one IFD entry, Orientation = 6.
    let tiff: [u8; 26] = [
        b'I', b'I', 42, 0, 8, 0, 0, 0, // header, IFD at 8
        1, 0, // one entry
        0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, // 0x0112 SHORT x1 = 6
        0, 0, 0, 0, // no next IFD
    ];
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut file = jpeg[..2].to_vec();
    file.extend_from_slice(&app1);
    file.extend_from_slice(&jpeg[2..]);
    let decoded = popbooth_portrait::decode_photo(&file)?;
    assert_eq!(decoded.dimensions(), upright.dimensions());
    // Upright again: the pixels match the original, within JPEG's loss.
    let diff: f64 = decoded
        .pixels()
        .zip(upright.pixels())
        .map(|(a, b)| {
            a.0.iter()
                .zip(b.0)
                .map(|(x, y)| f64::from(x.abs_diff(y)))
                .sum::<f64>()
        })
        .sum::<f64>()
        / (512.0 * 512.0 * 3.0);
    assert!(diff < 6.0, "mean difference {diff}");
    let a = popbooth_portrait::analyze(&models()?, &decoded)?;
    assert_eq!(a.faces.len(), 1);
    Ok(())
}

/// What is not a usable photo is refused with a reason, without panicking and without
/// allocating for a decompression bomb.
#[test]
fn broken_files_and_decompression_bombs_are_refused() {
    let mut bomb = Vec::new();
    // A PNG header claiming 50000x50000 pixels, and nothing after it.
    bomb.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    bomb.extend_from_slice(&13u32.to_be_bytes());
    bomb.extend_from_slice(b"IHDR");
    bomb.extend_from_slice(&50_000u32.to_be_bytes());
    bomb.extend_from_slice(&50_000u32.to_be_bytes());
    bomb.extend_from_slice(&[8, 2, 0, 0, 0]);
    bomb.extend_from_slice(&[0, 0, 0, 0]); // CRC (wrong, never reached)
    let mut truncated = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut truncated)
        .encode_image(&image::RgbImage::from_pixel(
            64,
            64,
            image::Rgb([10, 200, 30]),
        ))
        .ok();
    truncated.truncate(truncated.len() / 3);
    for (name, bytes) in [
        ("empty", Vec::new()),
        ("text", b"just some notes".to_vec()),
        ("bomb", bomb),
        ("truncated JPEG", truncated),
    ] {
        let e = popbooth_portrait::decode_photo(&bytes);
        assert!(
            matches!(e, Err(popbooth_portrait::PortraitError::BadPhoto { .. })),
            "{name}: {e:?}"
        );
    }
}

/// The matte: the astronaut is person, the flag and the shuttle are not; the guided
/// upsampling leaves narrower soft edges than plain scaling (its edges follow the photo's);
/// a new background replaces the background while every subject pixel stays as it was.
#[test]
fn the_matte_follows_the_person_and_background_replacement_keeps_her_pixels()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{Background, SUBJECT, Upsample, person_matte, replace_background};
    let models = models()?;
    let image = astronaut_2048()?;
    let t = std::time::Instant::now();
    let matte = person_matte(&models, &image, Upsample::Guided)?;
    eprintln!("matte of 2048x2048 in {:?}", t.elapsed());
    assert_eq!((matte.width, matte.height), (2048, 2048));
    // Her face and her suit; the flag (top left) and the shuttle (right).
    for (x, y) in [(225, 130), (200, 350), (250, 420)] {
        assert!(
            matte.at(x * 4, y * 4) > 0.9,
            "person at ({x}, {y}): {}",
            matte.at(x * 4, y * 4)
        );
    }
    for (x, y) in [(20, 60), (40, 200), (400, 100), (470, 300)] {
        assert!(
            matte.at(x * 4, y * 4) < 0.1,
            "background at ({x}, {y}): {}",
            matte.at(x * 4, y * 4)
        );
    }
    let plain = person_matte(&models, &image, Upsample::Bilinear)?;
    eprintln!(
        "soft edges: guided {:.4}, bilinear {:.4}",
        matte.soft_share(),
        plain.soft_share()
    );
    assert!(matte.soft_share() < plain.soft_share() * 0.8);
    // Where the matte changes, how strong the photo's own edges are: higher means the
    // matte's edges sit on the photo's edges.
    let alignment = |m: &popbooth_portrait::Matte| {
        let (mut num, mut den) = (0f64, 0f64);
        let l = |x: u32, y: u32| f32::from(image.get_pixel(x, y).0[1]);
        for y in (1..2047).step_by(2) {
            for x in (1..2047).step_by(2) {
                let gm = (m.at(x + 1, y) - m.at(x - 1, y)).abs()
                    + (m.at(x, y + 1) - m.at(x, y - 1)).abs();
                let gi = (l(x + 1, y) - l(x - 1, y)).abs() + (l(x, y + 1) - l(x, y - 1)).abs();
                num += f64::from(gm * gi);
                den += f64::from(gm);
            }
        }
        num / den.max(1e-9)
    };
    let (ga, ba) = (alignment(&matte), alignment(&plain));
    eprintln!("edge alignment: guided {ga:.1}, bilinear {ba:.1}");
    assert!(ga > ba * 1.2, "guided {ga:.1}, bilinear {ba:.1}");

    let green = replace_background(&image, &matte, &Background::Colour([0, 200, 0]));
    let (mut kept, mut replaced) = (0, 0);
    for (x, y, p) in green.enumerate_pixels() {
        let a = matte.at(x, y);
        if a >= SUBJECT {
            assert_eq!(p, image.get_pixel(x, y), "subject pixel ({x}, {y}) changed");
            kept += 1;
        } else if a < 0.01 {
            assert!(
                p.0[1] > 190 && p.0[0] < 10 && p.0[2] < 10,
                "({x}, {y}) is {:?}",
                p.0
            );
            replaced += 1;
        }
    }
    assert!(
        kept > 2048 * 2048 / 5 && replaced > 2048 * 2048 / 5,
        "{kept} kept, {replaced} replaced"
    );

    // Portrait blur: the background loses its detail, the subject keeps it.
    let soft = replace_background(&image, &matte, &Background::Blur { radius: 0.01 });
    let detail = |img: &image::RgbImage, x0: u32, y0: u32| {
        let mut d = 0u64;
        for y in y0..y0 + 64 {
            for x in x0..x0 + 64 {
                d += u64::from(img.get_pixel(x, y).0[1].abs_diff(img.get_pixel(x + 1, y).0[1]));
            }
        }
        d
    };
    assert!(
        detail(&soft, 1600, 300) * 3 < detail(&image, 1600, 300),
        "the shuttle is still sharp"
    );
    assert_eq!(
        detail(&soft, 860, 480),
        detail(&image, 860, 480),
        "her face was touched"
    );
    Ok(())
}

/// White balance takes a colour cast out, levels open up a flat photo, the same input gives
/// the same bytes, skin smoothing touches face skin only (never eyes, or anything outside
/// the face), and print sharpening adds edge contrast.
#[test]
fn enhance_corrects_casts_and_levels_smooths_only_skin_and_is_deterministic()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{EnhanceSettings, auto_tone, face_mesh, sharpen, smooth_skin};
    let original = astronaut_2048()?;
    let mean = |img: &image::RgbImage| {
        let mut m = [0f64; 3];
        for p in img.pixels() {
            for (acc, v) in m.iter_mut().zip(p.0) {
                *acc += f64::from(v);
            }
        }
        m.map(|v| v / f64::from(img.width() * img.height()))
    };
    // A warm cast (red up, blue down), then corrected.
    let mut cast = original.clone();
    for p in cast.pixels_mut() {
        p.0[0] = (f32::from(p.0[0]) * 1.25).min(255.0) as u8;
        p.0[2] = (f32::from(p.0[2]) * 0.8) as u8;
    }
    let ratio = |m: [f64; 3]| m[0] / m[2];
    let mut fixed = cast.clone();
    auto_tone(&mut fixed, &EnhanceSettings::default());
    let (before, after, truth) = (
        ratio(mean(&cast)),
        ratio(mean(&fixed)),
        ratio(mean(&original)),
    );
    assert!(
        (after - truth).abs() < (before - truth).abs() * 0.5,
        "red/blue {before:.2} -> {after:.2}, original {truth:.2}"
    );
    // Determinism: the same input, the same bytes.
    let mut again = cast.clone();
    auto_tone(&mut again, &EnhanceSettings::default());
    assert_eq!(again.as_raw(), fixed.as_raw());

    // A flat, foggy photo gets its contrast back.
    let mut flat = original.clone();
    for p in flat.pixels_mut() {
        for c in p.0.iter_mut() {
            *c = 70 + (u16::from(*c) * 100 / 255) as u8;
        }
    }
    let spread = |img: &image::RgbImage| {
        let mut l: Vec<u8> = img.pixels().step_by(7).map(|p| p.0[1]).collect();
        l.sort_unstable();
        l[l.len() * 99 / 100] - l[l.len() / 100]
    };
    let mut opened = flat.clone();
    auto_tone(
        &mut opened,
        &EnhanceSettings {
            white_balance: false,
            ..EnhanceSettings::default()
        },
    );
    assert!(
        f32::from(spread(&opened)) > f32::from(spread(&flat)) * 1.4,
        "{} -> {}",
        spread(&flat),
        spread(&opened)
    );

    // Skin smoothing.
    let models = models()?;
    let face = popbooth_portrait::FaceDetector::new(&models)
        .detect(&original)?
        .remove(0);
    let mesh = face_mesh(&models, &original, &face)?;
    let mut smooth = original.clone();
    smooth_skin(&mut smooth, std::slice::from_ref(&mesh), 0.8);
    let b = mesh.bounds();
    let mut changed_outside = 0;
    for (x, y, p) in smooth.enumerate_pixels() {
        let (fx, fy) = (x as f32, y as f32);
        if (fx < b[0] - 1.0 || fx > b[2] + 1.0 || fy < b[1] - 1.0 || fy > b[3] + 1.0)
            && p != original.get_pixel(x, y)
        {
            changed_outside += 1;
        }
    }
    assert_eq!(changed_outside, 0);
    // The eye centres (between the lids) are untouched; the cheek is smoother.
    for (a, c) in [(159usize, 145usize), (386, 374)] {
        let (x, y) = (
            (mesh.points[a][0] + mesh.points[c][0]) / 2.0,
            (mesh.points[a][1] + mesh.points[c][1]) / 2.0,
        );
        assert_eq!(
            smooth.get_pixel(x as u32, y as u32),
            original.get_pixel(x as u32, y as u32)
        );
    }
    let cheek = mesh.points[50]; // the subject's right cheek
    let texture = |img: &image::RgbImage| {
        let (cx, cy) = (cheek[0] as u32, cheek[1] as u32);
        let mut t = 0u32;
        for y in cy - 10..cy + 10 {
            for x in cx - 10..cx + 10 {
                t += u32::from(img.get_pixel(x, y).0[1].abs_diff(img.get_pixel(x + 1, y).0[1]));
            }
        }
        t
    };
    assert!(
        texture(&smooth) * 10 < texture(&original) * 8,
        "cheek {} -> {}",
        texture(&original),
        texture(&smooth)
    );

    // Sharpening for print adds edge contrast.
    let small = image::imageops::resize(&original, 600, 600, image::imageops::FilterType::Triangle);
    let edges = |img: &image::RgbImage| -> u64 {
        img.enumerate_pixels()
            .filter(|(x, _, _)| *x + 1 < img.width())
            .map(|(x, y, p)| u64::from(p.0[1].abs_diff(img.get_pixel(x + 1, y).0[1])))
            .sum()
    };
    assert!(edges(&sharpen(&small, 0.6)) > edges(&small) * 11 / 10);
    Ok(())
}

fn face_frames(
    models: &popbooth_portrait::Models,
    image: &image::RgbImage,
) -> Result<Vec<popbooth_portrait::FaceFrame>, Box<dyn std::error::Error>> {
    Ok(popbooth_portrait::analyze(models, image)?
        .faces
        .iter()
        .map(|f| popbooth_portrait::FaceFrame {
            bbox: f.bbox,
            eyes_y: (f.keypoints[0][1] + f.keypoints[1][1]) / 2.0,
        })
        .collect())
}

/// The 4x6 template: the photo framed in its slot (her face is found again in the print),
/// the frame drawn over it, the event name and date set in the banner; the print JPEG says
/// 300 dpi and carries an sRGB profile; the preview is 2048 px with a watermark.
#[test]
fn a_4x6_print_has_the_framed_photo_the_frame_the_text_300_dpi_and_srgb()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{Assets, Placed, TextVars, compose, preview_jpeg, print_jpeg};
    let models = models()?;
    let assets = Assets::find(&[])?;
    assert_eq!(
        assets.template_names(),
        ["4x6-single", "5x7-single", "square", "strips-2x6"]
    );
    let template = assets.template("4x6-single")?;
    let photo = astronaut_2048()?;
    let faces = face_frames(&models, &photo)?;
    let vars = TextVars {
        event: "Summer Fair".into(),
        date: "25 November 2026".into(),
    };
    let placed = [Placed {
        image: &photo,
        faces: &faces,
    }];
    let print = compose(&assets, &template, &placed, &vars, 1.0)?;
    assert_eq!(print.dimensions(), (1200, 1800));
    assert_eq!(print.get_pixel(10, 10).0, [217, 72, 15], "the frame");
    // The banner holds white type: the event name and the date.
    let white_in = |y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|y| (100..1100).map(move |x| (x, y)))
            .filter(|&(x, y)| print.get_pixel(x, y).0.iter().all(|&c| c > 240))
            .count()
    };
    assert!(
        white_in(1550, 1640) > 3000,
        "event name: {}",
        white_in(1550, 1640)
    );
    assert!(
        white_in(1670, 1730) > 1000,
        "date: {}",
        white_in(1670, 1730)
    );
    // Her face is in the print, inside the slot, at a good size.
    let again = popbooth_portrait::analyze(&models, &print)?;
    assert_eq!(again.faces.len(), 1);
    let b = again.faces[0].bbox;
    assert!(
        b[0] > 36.0 && b[2] < 1164.0 && b[1] > 36.0 && b[3] < 1500.0,
        "{b:?}"
    );
    assert!(b[2] - b[0] > 200.0, "face {} px wide", b[2] - b[0]);

    let jpeg = print_jpeg(&print, 300)?;
    // JFIF APP0: units 1 (dots per inch), 300 x 300.
    let app0 = jpeg
        .windows(5)
        .position(|w| w == b"JFIF\0")
        .ok_or("no JFIF")?;
    assert_eq!(jpeg[app0 + 7], 1);
    assert_eq!(&jpeg[app0 + 8..app0 + 12], &[1, 44, 1, 44]);
    // APP2 ICC_PROFILE with an sRGB profile.
    let icc = jpeg
        .windows(12)
        .position(|w| w == b"ICC_PROFILE\0")
        .ok_or("no ICC profile")?;
    assert!(
        jpeg[icc..icc + 4000]
            .windows(4)
            .any(|w| w == b"sRGB" || w == b"s\0R\0"),
        "not sRGB"
    );
    let decoded = image::load_from_memory(&jpeg)?;
    assert_eq!((decoded.width(), decoded.height()), (1200, 1800));

    let preview = image::load_from_memory(&preview_jpeg(
        &assets, &template, &placed, &vars, "PREVIEW",
    )?)?
    .to_rgb8();
    assert_eq!(preview.height(), 2048);
    let plain = compose(&assets, &template, &placed, &vars, 2048.0 / 1800.0)?;
    let diff = |x0: u32, y0: u32| -> f64 {
        let mut d = 0u64;
        for y in y0..y0 + 40 {
            for x in x0..x0 + 300 {
                d += u64::from(preview.get_pixel(x, y).0[1].abs_diff(plain.get_pixel(x, y).0[1]));
            }
        }
        d as f64 / 12_000.0
    };
    assert!(
        diff(540, 1004) > 20.0,
        "no watermark in the middle: {}",
        diff(540, 1004)
    );
    assert!(
        diff(540, 200) < 4.0,
        "the preview differs away from the watermark: {}",
        diff(540, 200)
    );
    Ok(())
}

/// Two 2x6 strips: four photos fill the four cells of each strip, in order.
#[test]
fn two_strips_hold_the_four_photos_of_a_session_each() -> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{Assets, Placed, TextVars, compose};
    let models = models()?;
    let assets = Assets::find(&[])?;
    let template = assets.template("strips-2x6")?;
    let photo = astronaut_2048()?;
    let faces = face_frames(&models, &photo)?;
    // Four shots of a session: the same picture, tinted, to tell the cells apart.
    let tints = [
        [1.0, 0.8, 0.8],
        [0.8, 0.8, 1.0],
        [1.0, 1.0, 0.75],
        [1.0, 1.0, 1.0],
    ];
    let shots: Vec<image::RgbImage> = tints
        .iter()
        .map(|t| {
            let mut s = photo.clone();
            for p in s.pixels_mut() {
                for (v, k) in p.0.iter_mut().zip(t) {
                    *v = (f32::from(*v) * k) as u8;
                }
            }
            s
        })
        .collect();
    let placed: Vec<Placed<'_>> = shots
        .iter()
        .map(|s| Placed {
            image: s,
            faces: &faces,
        })
        .collect();
    let sheet = compose(&assets, &template, &placed, &TextVars::default(), 1.0)?;
    let found = popbooth_portrait::analyze(&models, &sheet)?;
    assert_eq!(
        found.faces.len(),
        8,
        "{:?}",
        found.faces.iter().map(|f| f.bbox).collect::<Vec<_>>()
    );
    // Each cell shows its own shot: its colour leans the way of its tint, compared with
    // the untinted fourth shot in the same strip.
    for strip in 0..2u32 {
        let mean = |cell: u32| {
            let (x0, y0) = (strip * 600 + 30, 30 + cell * 330 + 160);
            let mut m = [0f64; 3];
            for y in y0..y0 + 140 {
                for x in x0..x0 + 540 {
                    for (acc, v) in m.iter_mut().zip(sheet.get_pixel(x, y).0) {
                        *acc += f64::from(v);
                    }
                }
            }
            m
        };
        let plain = mean(3);
        let lean = |m: [f64; 3], up: &[usize], down: usize| {
            up.iter().map(|&c| m[c]).sum::<f64>() / up.len() as f64 / m[down]
        };
        assert!(
            lean(mean(0), &[0], 2) > lean(plain, &[0], 2) * 1.15,
            "strip {strip}: cell 1 is not the reddish shot"
        );
        assert!(
            lean(mean(1), &[2], 0) > lean(plain, &[2], 0) * 1.15,
            "strip {strip}: cell 2 is not the bluish shot"
        );
        assert!(
            lean(mean(2), &[0, 1], 2) > lean(plain, &[0, 1], 2) * 1.15,
            "strip {strip}: cell 3 is not the yellowish shot"
        );
    }
    Ok(())
}

/// A preset is a recipe; rendering it twice gives the same bytes (renders are derived data);
/// the studio preset puts her in front of the studio backdrop; a recipe from a newer
/// Popbooth is refused.
#[test]
fn a_recipe_renders_to_identical_pixels_every_time() -> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{Assets, Recipe, TextVars, render};
    let models = models()?;
    let assets = Assets::find(&[])?;
    assert_eq!(
        assets.preset_names(),
        [
            "classic-4x6",
            "confetti-square",
            "portrait-blur-5x7",
            "strips",
            "studio-4x6"
        ]
    );
    for name in assets.preset_names() {
        let preset = assets.preset(&name)?;
        assets.template(&preset.template)?;
    }
    let recipe = assets.preset("studio-4x6")?;
    let photo = astronaut_2048()?;
    let vars = TextVars {
        event: "Launch Party".into(),
        date: "2026-11-25".into(),
    };
    let first = render(
        &models,
        &assets,
        std::slice::from_ref(&photo),
        &recipe,
        &vars,
        true,
    )?;
    let second = render(
        &models,
        &assets,
        std::slice::from_ref(&photo),
        &recipe,
        &vars,
        true,
    )?;
    assert_eq!(
        first.print_jpeg, second.print_jpeg,
        "the same recipe rendered differently"
    );
    assert_eq!(first.preview_jpeg, second.preview_jpeg);
    assert!(first.preview_jpeg.is_some());
    assert_eq!(first.print.dimensions(), (1200, 1800));
    // The flag and the shuttle are gone: the slot's top corners are the grey backdrop.
    for (x, y) in [(60, 60), (1140, 60), (1100, 700)] {
        let p = first.print.get_pixel(x, y).0;
        let spread = p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0);
        assert!(spread < 20, "({x}, {y}) is {p:?}, not the grey backdrop");
    }
    let found = popbooth_portrait::analyze(&models, &first.print)?;
    assert_eq!(found.faces.len(), 1);

    let newer = Recipe {
        version: 99,
        ..Recipe::default()
    };
    let e = Recipe::from_json(&newer.to_json())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("version 99"), "{e}");
    assert_eq!(
        Recipe::from_json(&Recipe::default().to_json())?,
        Recipe::default()
    );
    Ok(())
}

/// A batch renders the good photos and reports, without stopping, a corrupt JPEG, an empty
/// file, a decompression bomb and a text file; progress counts every input; a cancel before
/// the start leaves nothing done and says so.
#[test]
fn a_batch_renders_the_good_photos_and_skips_the_bad_ones_with_reasons()
-> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{Assets, BatchJob, TextVars, batch, batch_inputs};
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    let models = models()?;
    let assets = Assets::find(&[])?;
    let tmp = tempfile::tempdir()?;
    let (inp, out) = (tmp.path().join("in"), tmp.path().join("out"));
    std::fs::create_dir_all(&inp)?;
    let photo = astronaut_2048()?;
    for (i, scale) in [2048u32, 1600, 1200].iter().enumerate() {
        let img = image::imageops::resize(
            &photo,
            *scale,
            *scale,
            image::imageops::FilterType::Triangle,
        );
        img.save(inp.join(format!("guest-{i}.jpg")))?;
    }
    let mut corrupt = std::fs::read(inp.join("guest-0.jpg"))?;
    corrupt.truncate(corrupt.len() / 4);
    std::fs::write(inp.join("corrupt.jpg"), corrupt)?;
    std::fs::write(inp.join("empty.jpg"), b"")?;
    std::fs::write(inp.join("notes.txt"), b"call the printer guy")?;
    let mut bomb = b"\\x89PNG\\r\\n\\x1a\\n\\0\\0\\0\\x0dIHDR".to_vec();
    bomb.extend_from_slice(&50_000u32.to_be_bytes());
    bomb.extend_from_slice(&50_000u32.to_be_bytes());
    bomb.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    std::fs::write(inp.join("bomb.png"), bomb)?;

    let inputs = batch_inputs(&inp)?;
    assert_eq!(inputs.len(), 7);
    let recipe = assets.preset("classic-4x6")?;
    let vars = TextVars::default();
    let job = BatchJob {
        inputs: &inputs,
        recipe: &recipe,
        vars: &vars,
        out_dir: &out,
        jobs: 2,
    };
    let progress = AtomicU32::new(0);
    let report = batch(&[&models], &assets, job, &AtomicBool::new(false), &|p| {
        progress.fetch_max(p.finished, Ordering::Relaxed);
        assert_eq!(p.total, 7);
    })?;
    assert_eq!(progress.load(Ordering::Relaxed), 7);
    assert_eq!(
        (report.done, report.skipped, report.cancelled),
        (3, 4, false)
    );
    for item in &report.items {
        let name = item
            .input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("guest-") {
            let out = item
                .output
                .as_ref()
                .ok_or(format!("{name} not rendered: {:?}", item.skipped))?;
            let img = image::open(out)?;
            assert_eq!((img.width(), img.height()), (1200, 1800));
        } else {
            let why = item
                .skipped
                .as_deref()
                .ok_or(format!("{name} was not skipped"))?;
            assert!(why.contains("not a usable photo"), "{name}: {why}");
        }
    }
    // No half-written files.
    let written: Vec<_> = std::fs::read_dir(&out)?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(written.len(), 3, "{written:?}");

    let cancelled = batch(
        &[&models],
        &assets,
        BatchJob {
            out_dir: &tmp.path().join("none"),
            ..job
        },
        &AtomicBool::new(true),
        &|_| {},
    )?;
    assert!(cancelled.cancelled && cancelled.done == 0);
    Ok(())
}

/// Straighten: a portrait tilted by 10 degrees comes out of the print with level eyes when
/// the recipe asks for it, and stays tilted when it does not.
#[test]
fn straighten_levels_a_tilted_head() -> Result<(), Box<dyn std::error::Error>> {
    use popbooth_portrait::{Assets, Recipe, TextVars, analyze, render};
    let models = models()?;
    let assets = Assets::find(&[])?;
    let upright = astronaut_2048()?;
    // Turn the picture 10 degrees clockwise about its centre (bilinear; grey outside).
    let (w, h) = upright.dimensions();
    let (sin, cos) = 10f32.to_radians().sin_cos();
    let tilted = image::RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
        let (sx, sy) = (
            dx * cos + dy * sin + w as f32 / 2.0,
            -dx * sin + dy * cos + h as f32 / 2.0,
        );
        if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
            image::Rgb([128, 128, 128])
        } else {
            *upright.get_pixel(sx as u32, sy as u32)
        }
    });
    let roll_of = |img: &image::RgbImage| -> Result<f32, Box<dyn std::error::Error>> {
        let a = analyze(&models, img)?;
        Ok(a.faces.first().ok_or("no face")?.roll)
    };
    let before = roll_of(&tilted)?;
    assert!((before - 12.9).abs() < 3.0, "tilted roll {before}");
    let plain = Recipe::default();
    let level = Recipe {
        straighten: true,
        ..Recipe::default()
    };
    let vars = TextVars::default();
    let kept = render(
        &models,
        &assets,
        std::slice::from_ref(&tilted),
        &plain,
        &vars,
        false,
    )?;
    let fixed = render(
        &models,
        &assets,
        std::slice::from_ref(&tilted),
        &level,
        &vars,
        false,
    )?;
    let (kept_roll, fixed_roll) = (roll_of(&kept.print)?, roll_of(&fixed.print)?);
    assert!(kept_roll > 9.0, "without straighten: {kept_roll}");
    assert!(fixed_roll.abs() < 2.5, "with straighten: {fixed_roll}");
    // Older recipes (no `straighten` field) read as off.
    let old = r#"{"version":1,"template":"4x6-single","background":{"kind":"keep"},"enhance":{"white_balance":true,"levels":true,"skin_smoothing":0.0},"sharpen":0.4}"#;
    assert!(!Recipe::from_json(old)?.straighten);
    Ok(())
}
