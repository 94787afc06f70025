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
