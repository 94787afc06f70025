//! `popbooth portrait ...`.

use std::path::Path;
use std::process::ExitCode;

use popbooth_portrait::{Models, Runtime, analyze, find_models_dir, load_photo};

use crate::output::outln;

/// `popbooth portrait analyze PHOTO [--json]`: faces, quality and crops of one photo. With
/// `--json`, one object (docs/cli-json.md); a photo that cannot be read is
/// `{"ok": false, "error": ...}` and exit code 1.
pub fn analyze_photo(photo: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let result = (|| -> anyhow::Result<_> {
        let runtime = Runtime::get(&[])?;
        let models = Models::load(&runtime, &find_models_dir(&[])?)?;
        let image = load_photo(photo)?;
        Ok(analyze(&models, &image)?)
    })();
    let analysis = match (result, json) {
        (Ok(a), _) => a,
        (Err(e), true) => {
            outln!(
                "{}",
                serde_json::json!({ "ok": false, "error": format!("{e:#}") })
            );
            return Ok(ExitCode::FAILURE);
        }
        (Err(e), false) => return Err(e),
    };
    if json {
        let mut value = serde_json::to_value(&analysis)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("ok".into(), true.into());
        }
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} ({}x{})",
        photo.display(),
        analysis.width,
        analysis.height
    );
    if analysis.faces.is_empty() {
        outln!("  no face");
    }
    for (i, f) in analysis.faces.iter().enumerate() {
        let b = f.bbox;
        outln!(
            "  face {}: [{:.0}, {:.0}, {:.0}, {:.0}] score {:.2}, eyes {}, roll {:.1}°",
            i + 1,
            b[0],
            b[1],
            b[2],
            b[3],
            f.score,
            if f.eyes_open { "open" } else { "closed" },
            f.roll
        );
    }
    let q = &analysis.quality;
    outln!(
        "  quality {:.2}{}",
        q.score,
        if q.reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", q.reasons.join("; "))
        }
    );
    for (name, crop) in &analysis.crops {
        match crop {
            Some(c) => outln!(
                "  crop {name:<6} [{:.0}, {:.0}, {:.0}, {:.0}]",
                c[0],
                c[1],
                c[2],
                c[3]
            ),
            None => outln!(
                "  crop {name:<6} none: {}",
                analysis.crop_notes.get(name).map_or("", String::as_str)
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
