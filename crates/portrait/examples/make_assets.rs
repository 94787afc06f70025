//! Writes the generated artwork in `assets/`: the backgrounds for background replacement and
//! the overlay frames of the print templates. Everything Popbooth ships is made here (no
//! third-party images): `cargo run -p popbooth-portrait --example make_assets`.

use image::{Rgb, RgbImage, Rgba, RgbaImage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let (w, h) = (1200u32, 1800u32);

    // A studio backdrop: grey with a soft light behind the subject.
    let studio = RgbImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.4);
        let d = (dx * dx * 2.0 + dy * dy).sqrt();
        let v = (200.0 - d * 160.0).clamp(60.0, 200.0) as u8;
        Rgb([v, v, v.saturating_add(6)])
    });
    studio.save(root.join("backgrounds/studio-grey.png"))?;

    // A sunset: orange low, violet high.
    let sunset = RgbImage::from_fn(w, h, |_, y| {
        let t = y as f32 / h as f32;
        let mix = |a: f32, b: f32| (a * (1.0 - t) + b * t) as u8;
        Rgb([mix(92.0, 255.0), mix(48.0, 158.0), mix(140.0, 70.0)])
    });
    sunset.save(root.join("backgrounds/sunset.png"))?;

    // Confetti on cream: dots placed by a fixed sequence (a small LCG), so the file is the
    // same every time.
    let mut confetti = RgbImage::from_pixel(w, h, Rgb([250, 244, 230]));
    let mut seed = 12345u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as u32
    };
    let colours = [
        [230, 57, 70],
        [42, 157, 143],
        [233, 196, 106],
        [69, 123, 157],
        [244, 162, 97],
    ];
    for _ in 0..900 {
        let (cx, cy, r) = (next() % w, next() % h, 6 + next() % 10);
        let c = colours[(next() % 5) as usize];
        for y in cy.saturating_sub(r)..(cy + r).min(h) {
            for x in cx.saturating_sub(r)..(cx + r).min(w) {
                let (dx, dy) = (x as i64 - cx as i64, y as i64 - cy as i64);
                if dx * dx + dy * dy <= i64::from(r * r) {
                    confetti.put_pixel(x, y, Rgb(c));
                }
            }
        }
    }
    confetti.save(root.join("backgrounds/confetti.png"))?;

    // Overlay frames: a coloured border and a banner at the bottom for the text; transparent
    // where the photos show. Sizes: 4x6 portrait and 5x7 at 300 dpi, 2x6 strip pair on a 4x6
    // landscape sheet, 4x4 square.
    frame(
        &root.join("frames/classic-4x6.png"),
        1200,
        1800,
        36,
        300,
        [217, 72, 15],
    )?;
    frame(
        &root.join("frames/classic-5x7.png"),
        1500,
        2100,
        45,
        330,
        [217, 72, 15],
    )?;
    frame(
        &root.join("frames/classic-square.png"),
        1200,
        1200,
        36,
        190,
        [217, 72, 15],
    )?;
    strips(&root.join("frames/strips-2x6.png"))?;
    Ok(())
}

/// A border of `border` px and a banner of `banner` px at the bottom, in `colour`.
fn frame(
    path: &std::path::Path,
    w: u32,
    h: u32,
    border: u32,
    banner: u32,
    colour: [u8; 3],
) -> Result<(), Box<dyn std::error::Error>> {
    let img = RgbaImage::from_fn(w, h, |x, y| {
        let edge = x < border || y < border || x >= w - border || y >= h - banner;
        if edge {
            Rgba([colour[0], colour[1], colour[2], 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    img.save(path)?;
    Ok(())
}

/// Two 2x6 strips on one 4x6 sheet (1200x1800, cut down the middle after printing): each
/// strip four photo cells and a banner below them.
fn strips(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let (w, h) = (1200u32, 1800u32);
    let img = RgbaImage::from_fn(w, h, |x, y| {
        let strip_x = x % 600;
        let margin = 30;
        let cell_h = 330;
        let in_cell = strip_x >= margin
            && strip_x < 600 - margin
            && y >= margin
            && y < margin + 4 * cell_h
            && (y - margin) % cell_h < cell_h - 20;
        if in_cell {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([20, 20, 24, 255])
        }
    });
    img.save(path)?;
    Ok(())
}
