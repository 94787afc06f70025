//! End-to-end tests across the engine crates live in `tests/` beside this file. This library
//! holds what several crates' tests share: [`Postgres`], a throw-away PostgreSQL server
//! (Debian's `postgresql`) for the tests of booths syncing. The real window's end-to-end test
//! is in `src-tauri/tests/`, where Cargo builds the app binary for it.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

type Error = Box<dyn std::error::Error>;

/// A PostgreSQL server of our own, stopped and removed on drop.
#[derive(Debug)]
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Postgres {
    /// Starts a new cluster in a temporary folder on a free loopback port.
    pub fn start() -> Result<Postgres, Error> {
        // Debian keeps each major version's programs apart; take the newest.
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("PostgreSQL is not installed (./scripts/setup installs it): {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .collect();
        versions.sort();
        let bin = versions.pop().ok_or("no PostgreSQL initdb")?;
        let dir = tempfile::tempdir()?;
        if as_root() {
            // initdb and pg_ctl refuse to run as root: the cluster belongs to `postgres`.
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path()))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let pg = Postgres { dir, bin, port };
        pg.run(
            "initdb",
            &[
                "-D",
                &pg.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ],
        )?;
        pg.up()?;
        Ok(pg)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Where to connect (user `postgres`, no password: trust on loopback).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again).
    pub fn up(&self) -> Result<(), Error> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "start",
            ],
        )
    }

    /// Stops the server at once, as a power cut or a lost network would.
    pub fn down(&self) -> Result<(), Error> {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), Error> {
        let program = self.bin.join(program);
        let mut command = if as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        run(command.args(args).current_dir(self.dir.path()))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.down();
    }
}

fn as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn run(command: &mut Command) -> Result<(), Error> {
    let out = command.output()?;
    if !out.status.success() {
        return Err(format!(
            "{command:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}
