//! Compose: photos into a print template (`assets/templates/*.json`): each slot filled with a
//! crop framed for the slot's shape, the template's overlay frame (PNG with transparency) on
//! top, and text (event name, date) set in the font shipped in `assets/fonts/`. Output: the
//! print as a 300 dpi JPEG carrying its density (JFIF) and an sRGB ICC profile, and a web
//! preview (2048 px on the long side) with a watermark.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ab_glyph::{Font, FontArc, PxScale, ScaleFont};
use image::{Rgb, RgbImage, RgbaImage};
use serde::{Deserialize, Serialize};

use crate::PortraitError;
use crate::framing::{FaceFrame, Format, crop_for};

/// A print template, as its JSON file says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Template {
    pub name: String,
    /// Width and height in inches.
    pub size_in: [f32; 2],
    pub dpi: u32,
    pub background: [u8; 3],
    /// Where photos go, [x0, y0, x1, y1] in template pixels; photo i fills slot i (photos
    /// repeat when there are fewer photos than slots).
    pub slots: Vec<Slot>,
    /// A PNG in `assets/` drawn over everything, at the template's size.
    pub overlay: Option<String>,
    pub texts: Vec<TextItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Slot {
    pub rect: [u32; 4],
}

/// A line of text: `{event}` and `{date}` are replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TextItem {
    pub text: String,
    /// Centre of the line, in template pixels.
    pub center: [f32; 2],
    /// Height of the type in template pixels.
    pub size: f32,
    pub colour: [u8; 3],
}

impl Template {
    /// The template's size in pixels.
    pub fn pixels(&self) -> (u32, u32) {
        (
            (self.size_in[0] * self.dpi as f32).round() as u32,
            (self.size_in[1] * self.dpi as f32).round() as u32,
        )
    }
}

/// The shipped artwork: templates, frames, backgrounds and the font. Backgrounds and frames
/// are decoded once and kept (shared by clones: the workers of a batch), so that a render
/// does not decode PNGs.
#[derive(Debug, Clone)]
pub struct Assets {
    dir: PathBuf,
    font: FontArc,
    backgrounds: Decoded<RgbImage>,
    overlays: Decoded<RgbaImage>,
}

/// Pictures decoded from the assets folder, by file name.
type Decoded<T> = Arc<Mutex<HashMap<String, Arc<T>>>>;

/// `file` from `cache`, or decoded by `decode` and kept.
fn cached<T>(
    cache: &Decoded<T>,
    file: &str,
    decode: impl FnOnce() -> Result<T, PortraitError>,
) -> Result<Arc<T>, PortraitError> {
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(file).cloned()) {
        return Ok(hit);
    }
    let decoded = Arc::new(decode()?);
    if let Ok(mut c) = cache.lock() {
        c.insert(file.to_string(), decoded.clone());
    }
    Ok(decoded)
}

/// The font text is set in (DejaVu Sans Bold; its licence is beside it).
const FONT: &str = "fonts/DejaVuSans-Bold.ttf";

impl Assets {
    /// Opens the assets folder `dir` (it must hold the font).
    pub fn open(dir: &Path) -> Result<Assets, PortraitError> {
        let path = dir.join(FONT);
        let bad = |reason: String| PortraitError::Assets {
            path: path.clone(),
            reason,
        };
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let font = FontArc::try_from_vec(bytes).map_err(|e| bad(e.to_string()))?;
        Ok(Assets {
            dir: dir.to_path_buf(),
            font,
            backgrounds: Decoded::default(),
            overlays: Decoded::default(),
        })
    }

    /// The assets folder found like the models: next to the executable, in the app's
    /// resources, or the project's `assets/`.
    pub fn find(extra: &[PathBuf]) -> Result<Assets, PortraitError> {
        let dir = crate::runtime::find_dir("assets", extra, |d| d.join(FONT).is_file()).map_err(
            |searched| PortraitError::Assets {
                path: PathBuf::from("assets"),
                reason: format!("not found (looked in: {searched})"),
            },
        )?;
        Assets::open(&dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The template `name` (`4x6-single`, `strips-2x6`, `5x7-single`, `square`).
    pub fn template(&self, name: &str) -> Result<Template, PortraitError> {
        let path = self.dir.join("templates").join(format!("{name}.json"));
        let bad = |reason: String| PortraitError::Assets {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let t: Template = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let (w, h) = t.pixels();
        if w == 0
            || h == 0
            || t.slots.iter().any(|s| {
                s.rect[2] <= s.rect[0] || s.rect[3] <= s.rect[1] || s.rect[2] > w || s.rect[3] > h
            })
        {
            return Err(bad("its size or a slot is out of bounds".into()));
        }
        Ok(t)
    }

    /// The names of the templates shipped.
    pub fn template_names(&self) -> Vec<String> {
        json_names(&self.dir.join("templates"))
    }

    /// The preset `name` of `assets/presets/` (a recipe: `classic-4x6`, `studio-4x6`, ...).
    pub fn preset(&self, name: &str) -> Result<crate::Recipe, PortraitError> {
        let path = self.dir.join("presets").join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).map_err(|e| PortraitError::Assets {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        crate::Recipe::from_json(&text)
    }

    /// The names of the presets shipped.
    pub fn preset_names(&self) -> Vec<String> {
        json_names(&self.dir.join("presets"))
    }

    /// The pictures of `assets/backgrounds/` (file names, sorted).
    pub fn background_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.join("backgrounds"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png") || n.ends_with(".jpg"))
            .collect();
        names.sort();
        names
    }

    /// A background image from `assets/backgrounds/` by file name.
    pub fn background(&self, file: &str) -> Result<Arc<RgbImage>, PortraitError> {
        cached(&self.backgrounds, file, || {
            let path = self.dir.join("backgrounds").join(file);
            image::open(&path)
                .map(|i| i.into_rgb8())
                .map_err(|e| PortraitError::Assets {
                    path,
                    reason: e.to_string(),
                })
        })
    }

    fn overlay(&self, file: &str) -> Result<Arc<RgbaImage>, PortraitError> {
        cached(&self.overlays, file, || {
            let path = self.dir.join(file);
            image::open(&path)
                .map(|i| i.into_rgba8())
                .map_err(|e| PortraitError::Assets {
                    path,
                    reason: e.to_string(),
                })
        })
    }
}

/// The `NAME` of every `NAME.json` in `dir`, sorted.
fn json_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// A photo to place: the (finished) picture and its faces, for framing it in each slot.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    pub image: &'a RgbImage,
    pub faces: &'a [FaceFrame],
}

/// Text placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextVars {
    pub event: String,
    pub date: String,
}

/// Composes `photos` into `template` at `scale` times its pixel size (1 for the print):
/// each slot filled with its photo framed for the slot's shape ([`slot_crop`]).
pub fn compose(
    assets: &Assets,
    template: &Template,
    photos: &[Placed<'_>],
    vars: &TextVars,
    scale: f32,
) -> Result<RgbImage, PortraitError> {
    let filled: Vec<RgbImage> = if photos.is_empty() {
        Vec::new()
    } else {
        template
            .slots
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let (w, h) = slot.size(scale);
                let photo = photos[i % photos.len()];
                let crop = slot_crop(photo.image.dimensions(), photo.faces, w, h);
                cut(photo.image, crop, w, h)
            })
            .collect()
    };
    compose_slots(assets, template, &filled, vars, scale)
}

/// Composes `template` at `scale` with `filled[i]` (already at the slot's size) in slot i,
/// then the overlay and the text.
pub fn compose_slots(
    assets: &Assets,
    template: &Template,
    filled: &[RgbImage],
    vars: &TextVars,
    scale: f32,
) -> Result<RgbImage, PortraitError> {
    let (tw, th) = template.pixels();
    let (w, h) = (
        (tw as f32 * scale).round() as u32,
        (th as f32 * scale).round() as u32,
    );
    let mut out = RgbImage::from_pixel(w, h, Rgb(template.background));
    for (slot, img) in template.slots.iter().zip(filled) {
        let (x0, y0) = slot.origin(scale);
        let (sw, sh) = slot.size(scale);
        if img.dimensions() == (sw, sh) {
            image::imageops::replace(&mut out, img, i64::from(x0), i64::from(y0));
        } else {
            let (iw, ih) = img.dimensions();
            let fitted = crate::pixels::resize_region(img, [0, 0, iw, ih], sw, sh);
            image::imageops::replace(&mut out, &fitted, i64::from(x0), i64::from(y0));
        }
    }
    if let Some(file) = &template.overlay {
        let overlay = assets.overlay(file)?;
        if overlay.dimensions() == (w, h) {
            blend_over(&mut out, &overlay);
        } else {
            let resized =
                image::imageops::resize(&*overlay, w, h, image::imageops::FilterType::Triangle);
            blend_over(&mut out, &resized);
        }
    }
    for t in &template.texts {
        let text = t
            .text
            .replace("{event}", &vars.event)
            .replace("{date}", &vars.date);
        draw_text(
            &mut out,
            &assets.font,
            &text,
            [t.center[0] * scale, t.center[1] * scale],
            t.size * scale,
            t.colour,
            1.0,
        );
    }
    Ok(out)
}

impl Slot {
    /// Top-left corner at `scale`.
    pub fn origin(&self, scale: f32) -> (u32, u32) {
        let s = |v: u32| (v as f32 * scale).round() as u32;
        (s(self.rect[0]), s(self.rect[1]))
    }

    /// Width and height at `scale` (at least 1 px).
    pub fn size(&self, scale: f32) -> (u32, u32) {
        let s = |v: u32| (v as f32 * scale).round() as u32;
        (
            (s(self.rect[2]) - s(self.rect[0])).max(1),
            (s(self.rect[3]) - s(self.rect[1])).max(1),
        )
    }
}

/// The region of a `size` photo to put in a `w` x `h` slot: framed around `faces` for the
/// slot's shape ([`crop_for`]), or centred and as large as the shape allows when there is no
/// face or no good crop. [x0, y0, width, height] in whole pixels inside the photo.
pub fn slot_crop(size: (u32, u32), faces: &[FaceFrame], w: u32, h: u32) -> [u32; 4] {
    let (pw, ph) = size;
    let format = Format {
        name: "slot",
        aspect: w as f32 / h as f32,
        min_short_side: 0,
    };
    let crop = crop_for(&format, faces, pw, ph).unwrap_or_else(|_| {
        let a = format.aspect;
        let (cw, ch) = if pw as f32 / ph as f32 > a {
            (ph as f32 * a, ph as f32)
        } else {
            (pw as f32, pw as f32 / a)
        };
        let (cx, cy) = ((pw as f32 - cw) / 2.0, (ph as f32 - ch) / 2.0);
        [cx, cy, cx + cw, cy + ch]
    });
    let x = (crop[0].max(0.0) as u32).min(pw.saturating_sub(1));
    let y = (crop[1].max(0.0) as u32).min(ph.saturating_sub(1));
    let cw = ((crop[2] - crop[0]).round() as u32).clamp(1, pw - x);
    let ch = ((crop[3] - crop[1]).round() as u32).clamp(1, ph - y);
    [x, y, cw, ch]
}

/// `crop` ([x, y, width, height]) of `photo` scaled to `w` x `h` with a Catmull-Rom filter
/// (sharp without aliasing; SIMD).
pub fn cut(photo: &RgbImage, crop: [u32; 4], w: u32, h: u32) -> RgbImage {
    crate::pixels::resize_region(photo, crop, w, h)
}

/// Draws `overlay` over `base` by its alpha.
fn blend_over(base: &mut RgbImage, overlay: &RgbaImage) {
    use rayon::prelude::*;
    let row = base.width() as usize;
    base.par_chunks_mut(row * 3)
        .zip(overlay.par_chunks(row * 4))
        .for_each(|(b, o)| {
            for (b, o) in b.chunks_exact_mut(3).zip(o.chunks_exact(4)) {
                let a = u32::from(o[3]);
                if a == 0 {
                    continue;
                }
                for c in 0..3 {
                    let v = u32::from(b[c]) * (255 - a) + u32::from(o[c]) * a;
                    b[c] = ((v + 127) / 255) as u8;
                }
            }
        });
}

/// Sets one line of `text` centred on `center`, `size` px high, in `colour` at `opacity`.
fn draw_text(
    img: &mut RgbImage,
    font: &FontArc,
    text: &str,
    center: [f32; 2],
    size: f32,
    colour: [u8; 3],
    opacity: f32,
) {
    let scaled = font.as_scaled(PxScale::from(size));
    // Lay the glyphs out on a baseline at 0, then centre the line.
    let mut glyphs = Vec::new();
    let mut x = 0.0f32;
    let mut previous = None;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = previous {
            x += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(PxScale::from(size), ab_glyph::point(x, 0.0)));
        x += scaled.h_advance(id);
        previous = Some(id);
    }
    let (ascent, descent) = (scaled.ascent(), scaled.descent());
    let dx = center[0] - x / 2.0;
    let dy = center[1] + (ascent + descent) / 2.0;
    let (w, h) = img.dimensions();
    for g in glyphs {
        let Some(outline) = font.outline_glyph(g) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = (bounds.min.x + gx as f32 + dx).round() as i64;
            let py = (bounds.min.y + gy as f32 + dy).round() as i64;
            if px < 0 || py < 0 || px >= i64::from(w) || py >= i64::from(h) {
                return;
            }
            let a = coverage.clamp(0.0, 1.0) * opacity;
            let p = img.get_pixel_mut(px as u32, py as u32);
            for c in 0..3 {
                p[c] = (f32::from(p[c]) * (1.0 - a) + f32::from(colour[c]) * a).round() as u8;
            }
        });
    }
}

/// An sRGB ICC profile (Little CMS's built-in sRGB), made once.
pub fn srgb_icc() -> &'static [u8] {
    static ICC: OnceLock<Vec<u8>> = OnceLock::new();
    ICC.get_or_init(|| lcms2::Profile::new_srgb().icc().unwrap_or_default())
}

/// The print: a JPEG at quality 95 that says its density (`dpi`, in the JFIF header) and its
/// colour space (an embedded sRGB ICC profile), so that print drivers neither rescale nor
/// reinterpret it. Encoded with `jpeg-encoder` (SIMD; about twice as fast as the `image`
/// crate's encoder on a 4x6 at 300 dpi).
pub fn print_jpeg(img: &RgbImage, dpi: u16) -> Result<Vec<u8>, PortraitError> {
    let options = crate::jpeg::JpegOptions {
        dpi: Some(dpi),
        icc: Some(srgb_icc()),
    };
    crate::jpeg::encode(img, 95, options)
}

/// Longest side of web previews.
pub const PREVIEW_SIDE: u32 = 2048;

/// The web preview of `template` with `photos`: composed at 2048 px on its long side (not
/// scaled up from the print), with a watermark across the middle, as JPEG.
pub fn preview_jpeg(
    assets: &Assets,
    template: &Template,
    photos: &[Placed<'_>],
    vars: &TextVars,
    watermark: &str,
) -> Result<Vec<u8>, PortraitError> {
    let (tw, th) = template.pixels();
    let scale = PREVIEW_SIDE as f32 / tw.max(th) as f32;
    let mut img = compose(assets, template, photos, vars, scale)?;
    watermark_image(&mut img, &assets.font, watermark);
    jpeg(&img, 85)
}

/// A plain JPEG at `quality`.
pub(crate) fn jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PortraitError> {
    crate::jpeg::encode(img, quality, crate::jpeg::JpegOptions::default())
}

/// `text` in white at 45% across the middle of `img`, as wide as two thirds of it.
pub fn watermark_image(img: &mut RgbImage, font: &FontArc, text: &str) {
    let (w, h) = img.dimensions();
    // Size the type so the line is about two thirds of the width.
    let probe = font.as_scaled(PxScale::from(100.0));
    let width: f32 = text
        .chars()
        .map(|c| probe.h_advance(probe.glyph_id(c)))
        .sum();
    let size = (100.0 * w as f32 * 0.66 / width.max(1.0)).min(h as f32 * 0.2);
    draw_text(
        img,
        font,
        text,
        [w as f32 / 2.0, h as f32 / 2.0],
        size,
        [255, 255, 255],
        0.45,
    );
}

impl Assets {
    /// The font text is set in.
    pub fn font(&self) -> &FontArc {
        &self.font
    }
}
