//! Glue for the Edit screen: the portrait assistant (`popbooth_portrait`) on the open event's
//! shots. Models and assets load once, on first use; each shot's analysis is kept in memory
//! for the session; applying a preset saves a recipe revision per shot and its renders in the
//! event, reporting progress as `EditProgress` events, cancellable.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use popbooth_portrait::{Analysis, Assets, BackgroundChoice, Models, Recipe, Runtime, TextVars};
use popbooth_store::{Event, Shot};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event as _;

use crate::commands::jpeg_data_url;
use crate::{AppError, Shell};

/// What the Edit grid shows for a shot.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ShotAnalysis {
    pub shot_id: String,
    /// 0..1 and the reasons it is lower (blurry, eyes closed, ...).
    pub quality: f32,
    pub reasons: Vec<String>,
    pub faces: u32,
    pub eyes_open: bool,
    /// Crops per format as shares of the photo ([x0, y0, x1, y1] in 0..1), for the overlay.
    pub crops: Vec<NamedCrop>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct NamedCrop {
    pub format: String,
    pub rect: Option<[f32; 4]>,
    pub note: Option<String>,
}

/// What the Edit screen offers: the presets and the background pictures.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct EditChoices {
    pub presets: Vec<String>,
    pub backgrounds: Vec<String>,
}

/// Progress of applying a preset.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct EditProgress {
    pub done: u32,
    pub total: u32,
    pub shot_id: String,
    /// Why this shot failed, if it did (the others go on).
    pub error: Option<String>,
    /// True on the last event (all done, or cancelled).
    pub finished: bool,
    pub cancelled: bool,
}

/// Models, assets and the analyses of this session.
#[derive(Debug, Default)]
pub struct Studio {
    engine: OnceLock<Result<Arc<(Models, Assets)>, String>>,
    analyses: Mutex<HashMap<String, ShotAnalysis>>,
    cancel: Arc<AtomicBool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Studio {
    /// The models and assets, loaded the first time (from the app's resources, or the
    /// project's folders in development).
    fn engine(&self, app: &AppHandle) -> Result<Arc<(Models, Assets)>, AppError> {
        self.engine
            .get_or_init(|| {
                let resources: Vec<_> = app.path().resource_dir().into_iter().collect();
                let load = || -> Result<(Models, Assets), popbooth_portrait::PortraitError> {
                    let runtime = Runtime::get(&resources)?;
                    let models =
                        Models::load(&runtime, &popbooth_portrait::find_models_dir(&resources)?)?;
                    Ok((models, Assets::find(&resources)?))
                };
                load().map(Arc::new).map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|e| AppError::new("portrait", e))
    }

    /// The analysis of `shot` (computed once per session).
    pub fn analyze(
        &self,
        app: &AppHandle,
        event: &Event,
        shot: &Shot,
    ) -> Result<ShotAnalysis, AppError> {
        if let Some(a) = lock(&self.analyses).get(&shot.id) {
            return Ok(a.clone());
        }
        let engine = self.engine(app)?;
        let photo =
            popbooth_portrait::load_photo(&event.root().join(&shot.file)).map_err(portrait_err)?;
        let a = popbooth_portrait::analyze(&engine.0, &photo).map_err(portrait_err)?;
        let result = summarise(&shot.id, &a);
        lock(&self.analyses).insert(shot.id.clone(), result.clone());
        Ok(result)
    }

    /// The presets and backgrounds shipped.
    pub fn choices(&self, app: &AppHandle) -> Result<EditChoices, AppError> {
        let engine = self.engine(app)?;
        Ok(EditChoices {
            presets: engine.1.preset_names(),
            backgrounds: engine.1.background_names(),
        })
    }

    /// Applies `preset` (with `background` instead of the preset's, if given) to `shots`
    /// one after the other: a recipe revision each, then its print and preview saved in the
    /// event. Progress goes out as events; `cancel` stops it between shots.
    pub fn apply(
        &self,
        app: &AppHandle,
        event: &Event,
        shots: &[Shot],
        preset: &str,
        background: Option<BackgroundChoice>,
    ) -> Result<(), AppError> {
        let engine = self.engine(app)?;
        let (models, assets) = (&engine.0, &engine.1);
        let mut recipe = assets.preset(preset).map_err(portrait_err)?;
        if let Some(background) = background {
            recipe.background = background;
        }
        self.cancel.store(false, Ordering::Relaxed);
        let total = u32::try_from(shots.len()).unwrap_or(u32::MAX);
        let vars = TextVars {
            event: event.info().name.clone(),
            date: event
                .info()
                .created_at
                .get(..10)
                .unwrap_or_default()
                .to_owned(),
        };
        let rt = tauri::async_runtime::handle();
        for (i, shot) in shots.iter().enumerate() {
            if self.cancel.load(Ordering::Relaxed) {
                send(
                    app,
                    EditProgress {
                        done: i as u32,
                        total,
                        shot_id: shot.id.clone(),
                        error: None,
                        finished: true,
                        cancelled: true,
                    },
                );
                return Ok(());
            }
            let result = render_one(models, assets, event, shot, &recipe, &vars, &rt);
            send(
                app,
                EditProgress {
                    done: i as u32 + 1,
                    total,
                    shot_id: shot.id.clone(),
                    error: result.err().map(|e| e.message),
                    finished: i + 1 == shots.len(),
                    cancelled: false,
                },
            );
        }
        Ok(())
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

fn send(app: &AppHandle, p: EditProgress) {
    if let Err(e) = p.emit(app) {
        tracing::warn!(error = %e, "could not send edit progress");
    }
}

fn portrait_err(e: popbooth_portrait::PortraitError) -> AppError {
    AppError::new("portrait", e.to_string())
}

/// One shot: its recipe revision, then the renders.
fn render_one(
    models: &Models,
    assets: &Assets,
    event: &Event,
    shot: &Shot,
    recipe: &Recipe,
    vars: &TextVars,
    rt: &tauri::async_runtime::RuntimeHandle,
) -> Result<(), AppError> {
    let photo =
        popbooth_portrait::load_photo(&event.root().join(&shot.file)).map_err(portrait_err)?;
    let rendered = popbooth_portrait::render(
        models,
        assets,
        std::slice::from_ref(&photo),
        recipe,
        vars,
        true,
    )
    .map_err(portrait_err)?;
    let row = rt.block_on(event.save_recipe(&shot.id, &recipe.to_json()))?;
    rt.block_on(event.save_render(&row.id, "print", &rendered.print_jpeg, "jpg"))?;
    if let Some(preview) = &rendered.preview_jpeg {
        rt.block_on(event.save_render(&row.id, "preview", preview, "jpg"))?;
    }
    Ok(())
}

fn summarise(shot_id: &str, a: &Analysis) -> ShotAnalysis {
    let (w, h) = (a.width.max(1) as f32, a.height.max(1) as f32);
    ShotAnalysis {
        shot_id: shot_id.to_owned(),
        quality: a.quality.score,
        reasons: a.quality.reasons.clone(),
        faces: u32::try_from(a.faces.len()).unwrap_or(u32::MAX),
        eyes_open: a.faces.iter().all(|f| f.eyes_open),
        crops: a
            .crops
            .iter()
            .map(|(format, rect)| NamedCrop {
                format: format.clone(),
                rect: rect.map(|c| [c[0] / w, c[1] / h, c[2] / w, c[3] / h]),
                note: a.crop_notes.get(format).cloned(),
            })
            .collect(),
    }
}

/// A JPEG as a `data:` URL, scaled down to at most `side` px.
pub fn thumbnail(path: &std::path::Path, side: u32) -> Result<String, AppError> {
    let photo = popbooth_portrait::load_photo(path).map_err(portrait_err)?;
    let (w, h) = photo.dimensions();
    let scale = (side as f32 / w.max(h).max(1) as f32).min(1.0);
    let small = image::imageops::thumbnail(
        &photo,
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    );
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&small)
        .map_err(|e| AppError::new("portrait", e.to_string()))?;
    Ok(jpeg_data_url(&out))
}

// ---- The Edit screen's commands ------------------------------------------------------------

/// The open event's shots, oldest first (the Edit grid).
#[tauri::command]
#[specta::specta]
pub async fn edit_shots(shell: State<'_, Shell>) -> Result<Vec<Shot>, AppError> {
    let event = shell.event("its shots are edited").await?;
    Ok(event.shots().await?)
}

async fn shot_of(shell: &Shell, shot_id: &str) -> Result<(popbooth_store::Event, Shot), AppError> {
    let event = shell.event("its shots are edited").await?;
    let shot = event
        .shot(shot_id)
        .await?
        .ok_or_else(|| AppError::new("not_found", format!("no shot {shot_id} in this event")))?;
    Ok((event, shot))
}

/// A shot's original as a `data:` JPEG at most `side` px.
#[tauri::command]
#[specta::specta]
pub async fn shot_thumbnail(
    shell: State<'_, Shell>,
    shot_id: String,
    side: u32,
) -> Result<String, AppError> {
    let (event, shot) = shot_of(&shell, &shot_id).await?;
    let path = event.root().join(&shot.file);
    tauri::async_runtime::spawn_blocking(move || {
        crate::edit::thumbnail(&path, side.clamp(64, 2048))
    })
    .await
    .map_err(AppError::thread)?
}

/// The portrait assistant's look at a shot: quality with reasons, faces, open eyes, crops.
#[tauri::command]
#[specta::specta]
pub async fn analyze_shot(
    app: AppHandle,
    shell: State<'_, Shell>,
    shot_id: String,
) -> Result<ShotAnalysis, AppError> {
    let (event, shot) = shot_of(&shell, &shot_id).await?;
    tauri::async_runtime::spawn_blocking(move || {
        let studio = app.state::<Studio>();
        studio.analyze(&app, &event, &shot)
    })
    .await
    .map_err(AppError::thread)?
}

/// The presets that can be applied (assets/presets) and the background pictures.
#[tauri::command]
#[specta::specta]
pub async fn edit_choices(app: AppHandle) -> Result<EditChoices, AppError> {
    tauri::async_runtime::spawn_blocking(move || app.state::<Studio>().choices(&app))
        .await
        .map_err(AppError::thread)?
}

/// Applies `preset` to the shots, with `background` instead of the preset's if given: a
/// recipe revision each and its print and preview in the event (progress as `EditProgress`
/// events; `cancel_edit` stops between shots).
#[tauri::command]
#[specta::specta]
pub async fn apply_preset(
    app: AppHandle,
    shell: State<'_, Shell>,
    shot_ids: Vec<String>,
    preset: String,
    background: Option<BackgroundChoice>,
) -> Result<(), AppError> {
    let event = shell.event("its shots are edited").await?;
    let all = event.shots().await?;
    let shots: Vec<Shot> = shot_ids
        .iter()
        .filter_map(|id| all.iter().find(|s| &s.id == id).cloned())
        .collect();
    tauri::async_runtime::spawn_blocking(move || {
        app.state::<Studio>()
            .apply(&app, &event, &shots, &preset, background)
    })
    .await
    .map_err(AppError::thread)?
}

/// Stops applying a preset after the shot in hand.
#[tauri::command]
#[specta::specta]
pub fn cancel_edit(studio: State<'_, Studio>) {
    studio.cancel();
}

/// The newest render's preview of a shot as a `data:` JPEG, if it has one.
#[tauri::command]
#[specta::specta]
pub async fn shot_preview(
    shell: State<'_, Shell>,
    shot_id: String,
) -> Result<Option<String>, AppError> {
    let event = shell.event("its shots are edited").await?;
    let Some(preview) = event.latest_render(&shot_id, "preview").await? else {
        return Ok(None);
    };
    let bytes = tokio::fs::read(event.root().join(&preview.file))
        .await
        .map_err(|e| AppError::new("io", format!("reading the preview: {e}")))?;
    Ok(Some(jpeg_data_url(&bytes)))
}
