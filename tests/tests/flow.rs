//! A shot's path through the engine: the test camera (capture) writes an original into a new
//! event (store), and the portrait assistant reads it back from disk.

use std::path::Path;

use popbooth_capture::{Source, grab_frame};
use popbooth_portrait::{FaceDetector, Models, Runtime, find_models_dir};
use popbooth_store::Event;

#[tokio::test]
async fn camera_frame_and_portrait_land_in_an_event_and_are_analysed()
-> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let event = Event::create(&tmp.path().join("Flow"), "Flow test").await?;

    // A frame from the test camera, saved as an original.
    let frame = grab_frame(&Source::default())?;
    let img = image::RgbImage::from_raw(frame.width, frame.height, frame.data)
        .ok_or("frame size mismatch")?;
    let cam_path = event.originals_dir().join("testcam.png");
    img.save(&cam_path)?;

    // A portrait brought in as a second original.
    let portrait_path = event.originals_dir().join("astronaut.png");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/samples/astronaut.png"),
        &portrait_path,
    )?;
    event.close().await;

    // Reopen the event and analyse what is on disk.
    let event = Event::open(&tmp.path().join("Flow")).await?;
    let runtime = Runtime::get(&[])?;
    let models = Models::load(&runtime, &find_models_dir(&[])?)?;
    let detector = FaceDetector::new(&models);

    let cam = image::open(event.originals_dir().join("testcam.png"))?.to_rgb8();
    assert_eq!(cam.dimensions(), (1280, 720));
    assert!(
        detector.detect(&cam)?.is_empty(),
        "the test pattern has no face"
    );

    let portrait = image::open(event.originals_dir().join("astronaut.png"))?.to_rgb8();
    assert_eq!(detector.detect(&portrait)?.len(), 1);
    event.close().await;
    Ok(())
}
