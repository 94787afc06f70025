//! Event folders on a real file system with real SQLite files.

use std::path::{Path, PathBuf};

use popbooth_store::{DB_FILE, Event, MEDIA_DIRS, RecentEvents, StoreError};
use sqlx::migrate::Migrator;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The schema version of this build (its newest migration).
const SCHEMA: u32 = 6;

/// Every file under `dir` with its bytes, to prove that a refused open changed nothing.
/// SQLite's shared-memory index (`-shm`) and an empty WAL hold no data and come and go with
/// connections, so they are left out.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p.clone());
                out.push((p, Vec::new()));
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                let name = p.to_string_lossy();
                if name.ends_with("-shm") || (name.ends_with("-wal") && bytes.is_empty()) {
                    continue;
                }
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn create_then_open_gives_the_same_event_in_wal_mode() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("Summer Fair 2026");
    let event = Event::create(&dir, "  Summer Fair — Ünïcode 2026 ").await?;
    let created = event.info().clone();
    assert_eq!(created.name, "Summer Fair — Ünïcode 2026");
    assert_eq!(created.schema_version, SCHEMA);
    for sub in MEDIA_DIRS {
        assert!(dir.join(sub).is_dir(), "{sub} missing");
    }
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(event.pool())
        .await?;
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(event.pool())
        .await?;
    assert_eq!(sync, 2, "synchronous must be FULL");
    event.close().await;

    let reopened = Event::open(&dir).await?;
    assert_eq!(reopened.info(), &created);
    assert!(uuid_is_v7(&created.uuid));
    reopened.close().await;
    Ok(())
}

fn uuid_is_v7(s: &str) -> bool {
    s.len() == 36 && s.as_bytes()[14] == b'7'
}

#[tokio::test]
async fn create_refuses_non_empty_folders_and_existing_events() -> TestResult {
    let tmp = tempfile::tempdir()?;
    std::fs::write(tmp.path().join("holiday.jpg"), b"not ours")?;
    let err = Event::create(tmp.path(), "X").await.err();
    assert!(
        matches!(err, Some(StoreError::FolderNotEmpty { .. })),
        "{err:?}"
    );
    assert_eq!(std::fs::read(tmp.path().join("holiday.jpg"))?, b"not ours");

    let dir = tmp.path().join("ev");
    Event::create(&dir, "One").await?.close().await;
    let err = Event::create(&dir, "Two").await.err();
    assert!(
        matches!(err, Some(StoreError::AlreadyExists { .. })),
        "{err:?}"
    );
    assert_eq!(Event::open(&dir).await?.info().name, "One");

    for bad in ["", "   ", "tab\there"] {
        let err = Event::create(&tmp.path().join("n"), bad).await.err();
        assert!(
            matches!(err, Some(StoreError::InvalidName(_))),
            "{bad:?}: {err:?}"
        );
        assert!(
            !tmp.path().join("n").exists(),
            "a refused create left a folder"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_folder_that_is_not_an_event_is_refused_untouched() -> TestResult {
    let tmp = tempfile::tempdir()?;
    std::fs::write(tmp.path().join("notes.txt"), b"hello")?;
    let before = snapshot(tmp.path());
    let err = Event::open(tmp.path()).await.err();
    assert!(
        matches!(err, Some(StoreError::NotAnEvent { .. })),
        "{err:?}"
    );
    assert!(
        err.map(|e| e.to_string())
            .unwrap_or_default()
            .contains("has no event.db")
    );
    assert_eq!(snapshot(tmp.path()), before);

    let err = Event::open(&tmp.path().join("missing")).await.err();
    assert!(matches!(err, Some(StoreError::NotFound { .. })), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn another_programs_sqlite_file_is_refused_untouched() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let db = tmp.path().join(DB_FILE);
    {
        use sqlx::Connection;
        let url = format!("sqlite://{}?mode=rwc", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await?;
        sqlx::query("CREATE TABLE contacts (name TEXT)")
            .execute(&mut conn)
            .await?;
        conn.close().await?;
    }
    let before = snapshot(tmp.path());
    let err = Event::open(tmp.path()).await.err();
    assert!(
        matches!(err, Some(StoreError::NotAnEvent { .. })),
        "{err:?}"
    );
    assert_eq!(snapshot(tmp.path()), before);
    Ok(())
}

#[tokio::test]
async fn corrupt_files_are_refused_untouched() -> TestResult {
    let tmp = tempfile::tempdir()?;
    // A real event whose pages are then overwritten in the middle.
    let good = tmp.path().join("good");
    Event::create(&good, "Will break").await?.close().await;

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "text",
            b"this is a shopping list, not a database".repeat(50),
        ),
        ("truncated header", b"SQLite format 3\0".to_vec()),
    ];
    for (label, bytes) in cases {
        let dir = tmp.path().join(label);
        std::fs::create_dir(&dir)?;
        std::fs::write(dir.join(DB_FILE), &bytes)?;
        let before = snapshot(&dir);
        let err = Event::open(&dir).await.err();
        assert!(
            matches!(err, Some(StoreError::Corrupt { .. })),
            "{label}: {err:?}"
        );
        assert_eq!(snapshot(&dir), before, "{label}: files changed");
    }

    // Scribble over everything after the first page: the header is fine, the schema is not.
    let db = good.join(DB_FILE);
    let mut bytes = std::fs::read(&db)?;
    assert!(bytes.len() > 4096, "expected more than one page");
    for b in &mut bytes[4096..] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes)?;
    let before = snapshot(&good);
    let err = Event::open(&good).await.err();
    assert!(
        matches!(err, Some(StoreError::Corrupt { .. })),
        "scribbled: {err:?}"
    );
    assert_eq!(snapshot(&good), before, "scribbled: files changed");
    Ok(())
}

/// Writes a migrations folder holding the real first migration plus `extra` ones.
async fn migrator_with(
    dir: &Path,
    extra: &[(&str, &str)],
) -> Result<Migrator, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(real)? {
        let entry = entry?;
        std::fs::copy(entry.path(), dir.join(entry.file_name()))?;
    }
    for (name, sql) in extra {
        std::fs::write(dir.join(name), sql)?;
    }
    Ok(Migrator::new(dir.to_path_buf()).await?)
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused_untouched() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let newer = migrator_with(
        &tmp.path().join("m-newer"),
        &[("9000_future.sql", "CREATE TABLE future (x);")],
    )
    .await?;
    let dir = tmp.path().join("ev");
    Event::create_with(&dir, "From the future", &newer)
        .await?
        .close()
        .await;

    let before = snapshot(&dir);
    let err = Event::open(&dir).await.err();
    match err {
        Some(StoreError::NewerVersion {
            found, supported, ..
        }) => {
            assert_eq!(found, 9000);
            assert_eq!(supported, i64::from(SCHEMA));
        }
        other => panic!("expected NewerVersion, got {other:?}"),
    }
    assert_eq!(snapshot(&dir), before);
    Ok(())
}

#[tokio::test]
async fn an_older_database_is_backed_up_then_migrated() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let current = migrator_with(&tmp.path().join("m1"), &[]).await?;
    let next = migrator_with(
        &tmp.path().join("m2"),
        &[(
            "0900_test_notes.sql",
            "CREATE TABLE test_notes (body TEXT NOT NULL);",
        )],
    )
    .await?;
    let dir = tmp.path().join("ev");
    Event::create_with(&dir, "Old", &current)
        .await?
        .close()
        .await;

    let event = Event::open_with(&dir, &next).await?;
    assert_eq!(event.info().schema_version, 900);
    sqlx::query("INSERT INTO test_notes VALUES ('works')")
        .execute(event.pool())
        .await?;
    event.close().await;

    let backup = dir.join("event.db.before-schema-900.bak");
    assert!(backup.is_file(), "no backup before migrating");
    // The backup is the old schema: it opens as the current version, without test_notes.
    let restored = tmp.path().join("restored");
    std::fs::create_dir(&restored)?;
    std::fs::copy(&backup, restored.join(DB_FILE))?;
    let old = Event::open_with(&restored, &current).await?;
    assert_eq!(old.info().schema_version, SCHEMA);
    let has: Option<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = 'test_notes'")
            .fetch_optional(old.pool())
            .await?;
    assert_eq!(has, None);
    old.close().await;
    Ok(())
}

#[tokio::test]
async fn originals_are_written_once_named_by_content_and_recorded() -> TestResult {
    use popbooth_store::{NewShot, SessionKind};
    use sha2::Digest;

    let tmp = tempfile::tempdir()?;
    let event = Event::create(&tmp.path().join("ev"), "Shots").await?;
    let session = event.start_session(SessionKind::Burst, 3).await?;
    let pictures: [&[u8]; 3] = [b"first picture", b"second picture", b"first picture"];
    let mut rows = Vec::new();
    for (i, data) in pictures.iter().enumerate() {
        let shot = NewShot {
            source: "test camera",
            width: 640,
            height: 360,
            extension: "JPG",
            data,
        };
        rows.push(event.add_shot(&session, i as u32 + 1, shot).await?);
    }
    // Named by SHA-256, lower-case extension; the same content is one file.
    let expected = format!("{:x}", sha2::Sha256::digest(b"first picture"));
    assert_eq!(rows[0].file, format!("originals/{expected}.jpg"));
    assert_eq!(rows[0].sha256, expected);
    assert_eq!(rows[2].file, rows[0].file);
    assert_ne!(rows[1].file, rows[0].file);
    let on_disk: Vec<_> = std::fs::read_dir(event.originals_dir())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        on_disk.len(),
        2,
        "no temporary files left, one file per content: {on_disk:?}"
    );
    assert_eq!(
        std::fs::read(event.root().join(&rows[1].file))?,
        b"second picture"
    );

    // Rows survive a reopen, in order, with their session.
    let root = event.root().to_path_buf();
    event.close().await;
    let event = Event::open(&root).await?;
    let shots = event.shots().await?;
    assert_eq!(shots, rows);
    assert!(shots.iter().all(|s| s.session_id == session));
    assert_eq!(shots.iter().map(|s| s.seq).collect::<Vec<_>>(), [1, 2, 3]);
    // The same position in a session cannot be taken twice.
    let again = NewShot {
        source: "test camera",
        width: 1,
        height: 1,
        extension: "jpg",
        data: b"x",
    };
    assert!(event.add_shot(&session, 2, again).await.is_err());
    event.close().await;
    Ok(())
}

#[tokio::test]
async fn recent_list_keeps_newest_first_and_marks_missing_folders() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let recent = RecentEvents::new(tmp.path().join("config/recent.json"));
    assert!(recent.list().is_empty());
    let a = Event::create(&tmp.path().join("a"), "A").await?;
    let b = Event::create(&tmp.path().join("b"), "B").await?;
    recent.touch(a.info())?;
    recent.touch(b.info())?;
    let list = recent.touch(a.info())?;
    let names: Vec<_> = list.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    b.close().await;
    std::fs::remove_dir_all(tmp.path().join("b"))?;
    let list = recent.list();
    assert!(list[0].available);
    assert!(!list[1].available);
    let list = recent.forget(&list[1].path)?;
    assert_eq!(list.len(), 1);
    // A damaged list file is an empty list, not an error.
    std::fs::write(tmp.path().join("config/recent.json"), b"{not json")?;
    assert!(recent.list().is_empty());
    a.close().await;
    Ok(())
}

#[tokio::test]
async fn sqlite_version_is_reported() -> TestResult {
    let v = popbooth_store::sqlite_version().await?;
    assert!(v.starts_with("3."), "{v}");
    Ok(())
}

/// Recipes are revisions per shot (1, 2, ...), kept as the JSON given; JSON that is not
/// valid is refused by the database; a render is a file in `renders/` named by its content,
/// and a new render of the same kind replaces the row (the old file stays until cleaned).
#[tokio::test]
async fn recipes_are_revisions_and_renders_are_files() -> TestResult {
    use popbooth_store::{NewShot, SessionKind};
    let tmp = tempfile::tempdir()?;
    let event = Event::create(&tmp.path().join("E"), "Recipes").await?;
    let session = event.start_session(SessionKind::Single, 1).await?;
    let shot = event
        .add_shot(
            &session,
            1,
            NewShot {
                source: "test",
                width: 2,
                height: 2,
                extension: "jpg",
                data: b"not really a jpeg",
            },
        )
        .await?;
    let first = event
        .save_recipe(&shot.id, r#"{"version":1,"template":"4x6-single"}"#)
        .await?;
    let second = event
        .save_recipe(&shot.id, r#"{"version":1,"template":"square"}"#)
        .await?;
    assert_eq!((first.revision, second.revision), (1, 2));
    assert!(event.save_recipe(&shot.id, "{not json").await.is_err());
    let all = event.recipes(&shot.id).await?;
    assert_eq!(all, [first.clone(), second.clone()]);

    let print = event
        .save_render(&second.id, "print", b"print bytes", "jpg")
        .await?;
    assert!(print.file.starts_with("renders/") && print.file.ends_with(".jpg"));
    assert_eq!(
        std::fs::read(event.root().join(&print.file))?,
        b"print bytes"
    );
    let again = event
        .save_render(&second.id, "print", b"print bytes v2", "jpg")
        .await?;
    assert_ne!(again.sha256, print.sha256);
    let renders = event.renders(&second.id).await?;
    assert_eq!(renders.len(), 1);
    assert_eq!(renders[0].sha256, again.sha256);
    event.close().await;
    Ok(())
}
