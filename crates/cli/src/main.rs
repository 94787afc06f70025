//! `popbooth`: the command line. It parses arguments, calls the engine crates and prints;
//! the crates themselves never print or exit. `--json` output is a stable interface,
//! documented in docs/cli-json.md.

mod doctor;
mod event;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "popbooth",
    version,
    about = "Popbooth: the booth studio, from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks FFmpeg and its encoders, ONNX Runtime and the models, SQLite, disk and printers
    Doctor {
        /// The event folder whose disk to check (default: the current folder)
        #[arg(long)]
        event: Option<PathBuf>,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// Creates or inspects an event folder
    #[command(subcommand)]
    Event(EventCommand),
}

#[derive(Debug, Subcommand)]
enum EventCommand {
    /// Creates a new event in DIR (which must not exist or be empty)
    Create {
        dir: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Opens the event in DIR (migrating it if it is older) and shows what it is
    Info {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Doctor { event, json } => doctor::run(event, json).await,
            Command::Event(EventCommand::Create { dir, name, json }) => {
                event::create(&dir, &name, json).await
            }
            Command::Event(EventCommand::Info { dir, json }) => event::info(&dir, json).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
