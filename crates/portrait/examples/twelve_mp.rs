//! Writes N 12 MP (4000x3000) JPEG test photos to a folder: the astronaut portrait placed at
//! different spots of a wide frame. `cargo run -p popbooth-portrait --example twelve_mp -- DIR N`
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("DIR")?);
    let n: u32 = args.next().unwrap_or_else(|| "10".into()).parse()?;
    std::fs::create_dir_all(&dir)?;
    for (i, img) in popbooth_portrait::bench::bench_photos(n)?
        .into_iter()
        .enumerate()
    {
        img.save(dir.join(format!("photo-{i:03}.jpg")))?;
    }
    Ok(())
}
