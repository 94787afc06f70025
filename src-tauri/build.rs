fn main() {
    // tauri.conf.json lives at the workspace root; paths in it resolve from there.
    if let Err(e) =
        tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
    {
        panic!("tauri-build failed: {e:#}");
    }
}
