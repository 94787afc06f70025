fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = popbooth_portrait::Runtime::get(&[])?;
    let models =
        popbooth_portrait::Models::load(&runtime, &popbooth_portrait::find_models_dir(&[])?)?;
    let assets = popbooth_portrait::Assets::find(&[])?;
    let recipe = assets.preset(&std::env::args().nth(2).unwrap_or("studio-4x6".into()))?;
    let jpeg = std::fs::read(std::env::args().nth(1).ok_or("file")?)?;
    for _ in 0..4 {
        let t = popbooth_portrait::bench::time_pipeline(&models, &assets, &jpeg, &recipe)?;
        println!("{t:?}");
    }
    Ok(())
}
