//! Recipes (what to do to a shot, as versioned JSON written by the portrait assistant) and
//! the renders made from them. The store keeps the JSON as it is given; what it means is the
//! portrait crate's business.

use serde::Serialize;

use crate::fsutil::write_once;
use crate::{Event, StoreError};

/// One revision of a shot's recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, sqlx::FromRow)]
pub struct RecipeRow {
    pub id: String,
    pub shot_id: String,
    /// 1 for the first recipe of the shot, then 2, 3, ...
    pub revision: u32,
    pub created_at: String,
    /// The recipe as JSON.
    pub body: String,
}

/// A rendered file of a recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, sqlx::FromRow)]
pub struct RenderRow {
    pub recipe_id: String,
    /// `print` or `preview`.
    pub kind: String,
    pub created_at: String,
    /// Relative to the event folder, e.g. `renders/3f2a....jpg`.
    pub file: String,
    pub sha256: String,
    pub bytes: u32,
}

impl Event {
    /// Saves `body` (JSON) as the next revision of `shot_id`'s recipe.
    pub async fn save_recipe(&self, shot_id: &str, body: &str) -> Result<RecipeRow, StoreError> {
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(StoreError::db(self.db_path()))?;
        let last: Option<u32> =
            sqlx::query_scalar("SELECT MAX(revision) FROM recipe WHERE shot_id = ?")
                .bind(shot_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::db(self.db_path()))?;
        let row = RecipeRow {
            id: uuid::Uuid::now_v7().to_string(),
            shot_id: shot_id.to_owned(),
            revision: last.unwrap_or(0) + 1,
            created_at: crate::event::now_rfc3339(),
            body: body.to_owned(),
        };
        sqlx::query(
            "INSERT INTO recipe (id, shot_id, revision, created_at, body) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&row.id)
        .bind(&row.shot_id)
        .bind(row.revision)
        .bind(&row.created_at)
        .bind(&row.body)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::db(self.db_path()))?;
        tx.commit().await.map_err(StoreError::db(self.db_path()))?;
        Ok(row)
    }

    /// Every revision of `shot_id`'s recipe, oldest first.
    pub async fn recipes(&self, shot_id: &str) -> Result<Vec<RecipeRow>, StoreError> {
        sqlx::query_as(
            "SELECT id, shot_id, revision, created_at, body FROM recipe
             WHERE shot_id = ? ORDER BY revision",
        )
        .bind(shot_id)
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))
    }

    /// Stores a rendered file of `recipe_id` (`kind`: print or preview) in `renders/`, named by
    /// its content, replacing an earlier render of the same kind.
    pub async fn save_render(
        &self,
        recipe_id: &str,
        kind: &str,
        data: &[u8],
        extension: &str,
    ) -> Result<RenderRow, StoreError> {
        let sha256 = crate::content_hash(data);
        let name = format!("{sha256}.{extension}");
        write_once(&self.renders_dir(), &name, data)?;
        let row = RenderRow {
            recipe_id: recipe_id.to_owned(),
            kind: kind.to_owned(),
            created_at: crate::event::now_rfc3339(),
            file: format!("renders/{name}"),
            sha256,
            bytes: u32::try_from(data.len()).unwrap_or(u32::MAX),
        };
        sqlx::query(
            "INSERT OR REPLACE INTO render (recipe_id, kind, created_at, file, sha256, bytes)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.recipe_id)
        .bind(&row.kind)
        .bind(&row.created_at)
        .bind(&row.file)
        .bind(&row.sha256)
        .bind(row.bytes)
        .execute(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))?;
        Ok(row)
    }

    /// The renders of `recipe_id`.
    pub async fn renders(&self, recipe_id: &str) -> Result<Vec<RenderRow>, StoreError> {
        sqlx::query_as(
            "SELECT recipe_id, kind, created_at, file, sha256, bytes FROM render
             WHERE recipe_id = ? ORDER BY kind",
        )
        .bind(recipe_id)
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))
    }

    /// The `kind` render (print or preview) of the newest recipe of `shot_id`, if it has one.
    pub async fn latest_render(
        &self,
        shot_id: &str,
        kind: &str,
    ) -> Result<Option<RenderRow>, StoreError> {
        sqlx::query_as(
            "SELECT r.recipe_id, r.kind, r.created_at, r.file, r.sha256, r.bytes
             FROM render r JOIN recipe c ON c.id = r.recipe_id
             WHERE c.shot_id = ? AND r.kind = ?
             ORDER BY c.revision DESC LIMIT 1",
        )
        .bind(shot_id)
        .bind(kind)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::db(self.db_path()))
    }
}
