//! Fast pixel work the `image` crate has no quick path for: copying a region row by row,
//! reducing (a box filter) and resizing (Catmull-Rom) through `fast_image_resize`'s SIMD
//! convolution (the `image` crate's Catmull-Rom took 400 ms for a 4x6 slot from a 12 MP
//! photo, this about 20 ms; its `thumbnail` goes through a per-pixel trait call on views),
//! and sampling along a turned line in fixed point.

use image::RgbImage;

/// Region [x, y, width, height] of `src`, copied row by row.
pub(crate) fn copy_region(src: &RgbImage, [x, y, w, h]: [u32; 4]) -> RgbImage {
    let stride = src.width() as usize * 3;
    let raw = src.as_raw();
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for row in y..y + h {
        let start = row as usize * stride + x as usize * 3;
        out.extend_from_slice(&raw[start..start + w as usize * 3]);
    }
    RgbImage::from_raw(w, h, out).unwrap_or_else(|| RgbImage::new(w, h))
}

/// Region [x, y, width, height] of `src` reduced to `ow` x `oh` by area averaging (a box
/// filter as wide as the reduction: each output pixel is the mean of the source pixels it
/// covers). For reductions of 2x or more; smaller ones (and enlargements) use a Catmull-Rom
/// filter on the region.
pub(crate) fn reduce(src: &RgbImage, region: [u32; 4], ow: u32, oh: u32) -> RgbImage {
    let [_, _, w, h] = region;
    let (ow, oh) = (ow.max(1), oh.max(1));
    if w < ow * 2 || h < oh * 2 {
        return resize_region(src, region, ow, oh);
    }
    resize_with(src, region, ow, oh, fast_image_resize::FilterType::Box)
}

/// Region [x, y, width, height] of `src` resized to `ow` x `oh` with a Catmull-Rom filter.
pub(crate) fn resize_region(src: &RgbImage, region: [u32; 4], ow: u32, oh: u32) -> RgbImage {
    resize_with(
        src,
        region,
        ow,
        oh,
        fast_image_resize::FilterType::CatmullRom,
    )
}

/// Region [x, y, width, height] of `src` resized to `ow` x `oh` by convolution with `filter`.
fn resize_with(
    src: &RgbImage,
    [x, y, w, h]: [u32; 4],
    ow: u32,
    oh: u32,
    filter: fast_image_resize::FilterType,
) -> RgbImage {
    use fast_image_resize as fr;
    let (ow, oh) = (ow.max(1), oh.max(1));
    let resized =
        fr::images::ImageRef::new(src.width(), src.height(), src.as_raw(), fr::PixelType::U8x3)
            .ok()
            .and_then(|from| {
                let mut to = fr::images::Image::new(ow, oh, fr::PixelType::U8x3);
                let options = fr::ResizeOptions::new()
                    .resize_alg(fr::ResizeAlg::Convolution(filter))
                    .crop(f64::from(x), f64::from(y), f64::from(w), f64::from(h));
                fr::Resizer::new().resize(&from, &mut to, &options).ok()?;
                RgbImage::from_raw(ow, oh, to.into_vec())
            });
    // Only a buffer that does not match its size fails, which an RgbImage never is; the
    // fallback keeps the promise anyway.
    resized.unwrap_or_else(|| {
        let copy = copy_region(src, [x, y, w, h]);
        image::imageops::resize(&copy, ow, oh, image::imageops::FilterType::CatmullRom)
    })
}

/// `src` reduced (never enlarged) so that its longer side is at most `side`; the scale used.
pub(crate) fn reduce_to_side(src: &RgbImage, side: u32) -> (RgbImage, f32) {
    let (w, h) = src.dimensions();
    let scale = (side as f32 / w.max(h).max(1) as f32).min(1.0);
    if scale >= 1.0 {
        return (src.clone(), 1.0);
    }
    let (ow, oh) = (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    (reduce(src, [0, 0, w, h], ow, oh), ow as f32 / w as f32)
}

/// Fills `out` (RGB pixels) by sampling `src` bilinearly along a line: the first pixel at
/// (x, y) (pixel centres at integers), each next one `step` further. Outside `src` the
/// nearest edge pixel is used. Fixed point (16.16 positions, 8-bit weights): about twice as
/// fast as the same in floats.
pub(crate) fn sample_line(src: &RgbImage, (x, y): (f32, f32), step: (f32, f32), out: &mut [u8]) {
    let (w, h) = (src.width() as i64, src.height() as i64);
    if w < 2 || h < 2 {
        out.fill(0);
        return;
    }
    let fixed = |v: f32| (f64::from(v) * 65536.0) as i64;
    let (mut qx, mut qy) = (fixed(x), fixed(y));
    let (sx, sy) = (fixed(step.0), fixed(step.1));
    let (max_x, max_y) = ((w - 1) << 16, (h - 1) << 16);
    let stride = w as usize * 3;
    let raw = src.as_raw();
    for px in out.chunks_exact_mut(3) {
        // Clamped to the picture, then split into a pixel and a weight; the last column
        // and row sample their own pixel with full weight.
        let (cx, cy) = (qx.clamp(0, max_x), qy.clamp(0, max_y));
        let (x0, y0) = (
            ((cx >> 16).min(w - 2)) as usize,
            ((cy >> 16).min(h - 2)) as usize,
        );
        let fx = ((cx - ((x0 as i64) << 16)) >> 8) as u32;
        let fy = ((cy - ((y0 as i64) << 16)) >> 8) as u32;
        let i = y0 * stride + x0 * 3;
        let (top, bottom) = (&raw[i..i + 6], &raw[i + stride..i + stride + 6]);
        for k in 0..3 {
            let t = u32::from(top[k]) * (256 - fx) + u32::from(top[k + 3]) * fx;
            let b = u32::from(bottom[k]) * (256 - fx) + u32::from(bottom[k + 3]) * fx;
            px[k] = ((t * (256 - fy) + b * fy + 32768) >> 16) as u8;
        }
        qx += sx;
        qy += sy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn reduce_averages_blocks_and_copy_takes_the_region() {
        // A 4x2 picture: left half black, right half white; reduced to 2x1.
        let img = RgbImage::from_fn(4, 2, |x, _| {
            if x < 2 {
                Rgb([0, 0, 0])
            } else {
                Rgb([250, 250, 250])
            }
        });
        let r = reduce(&img, [0, 0, 4, 2], 2, 1);
        assert_eq!(r.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(r.get_pixel(1, 0).0, [250, 250, 250]);
        // A checkerboard averages to grey.
        let board = RgbImage::from_fn(8, 8, |x, y| {
            if (x + y) % 2 == 0 {
                Rgb([0, 0, 0])
            } else {
                Rgb([200, 100, 50])
            }
        });
        let g = reduce(&board, [0, 0, 8, 8], 2, 2);
        assert_eq!(g.get_pixel(1, 1).0, [100, 50, 25]);
        let c = copy_region(&img, [1, 0, 2, 2]);
        assert_eq!(c.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(c.get_pixel(1, 1).0, [250, 250, 250]);
    }

    #[test]
    fn sampling_along_a_line_interpolates_and_clamps_at_the_edges() {
        // A horizontal ramp: red = 10 * x.
        let img = RgbImage::from_fn(10, 4, |x, _| Rgb([(x * 10) as u8, 50, 0]));
        let mut out = [0u8; 4 * 3];
        sample_line(&img, (2.5, 1.0), (1.0, 0.0), &mut out);
        assert_eq!([out[0], out[3], out[6], out[9]], [25, 35, 45, 55]);
        assert_eq!(out[1], 50);
        // Off the left and right edges: the edge pixels.
        sample_line(&img, (-3.0, 1.0), (6.0, 0.0), &mut out);
        assert_eq!([out[0], out[3], out[6], out[9]], [0, 30, 90, 90]);
    }
}
