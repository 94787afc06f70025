// `sqlx::migrate!` embeds `migrations/` at compile time, and Cargo does not watch folders for
// a macro: without this, a new migration file would not rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
