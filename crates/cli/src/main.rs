//! `popbooth`: the command line. It parses arguments, calls the engine crates and prints;
//! the crates themselves never print or exit. `--json` output is a stable interface,
//! documented in docs/cli-json.md.

mod bench;
mod capture;
mod doctor;
mod event;
mod output;
mod portrait;
mod queue;
mod sales;

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
    /// Cameras and stills
    #[command(subcommand)]
    Capture(CaptureCommand),
    /// The portrait assistant
    #[command(subcommand)]
    Portrait(PortraitCommand),
    /// Renders a folder of photos with a preset into 300 dpi prints, in parallel
    Batch(portrait::BatchArgs),
    /// The event's sales
    #[command(subcommand)]
    Sales(SalesCommand),
    /// The event's delivery jobs (prints, emails, ...): list, retry, cancel, pause, resume
    #[command(subcommand)]
    Queue(queue::QueueCommand),
    /// Benchmarks against their anchors; each ends with the line `ratio: R` (higher is better)
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum SalesCommand {
    /// Imports or exports the event's catalogue (JSON)
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// The KPIs (revenue, orders, average order, conversion, attach rate, repeat customers,
    /// busiest hour), or every order as CSV
    Report {
        /// The event folder
        #[arg(long)]
        event: PathBuf,
        /// Every order as CSV (UTF-8; formula-looking cells neutralised)
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// Syncs the event's sales with the festival's shared PostgreSQL: takes the catalogue
    /// and this booth's quotas, pushes this booth's events, pulls the other booths'
    Sync(sales::SyncArgs),
    /// Gives a booth a quota of a limited item in the shared database (quotas only grow,
    /// and never past the stock)
    Quota {
        /// postgres://user:password@host:port/database
        #[arg(long)]
        db: String,
        #[arg(long)]
        festival: String,
        #[arg(long)]
        sku: String,
        /// The booth's name (`popbooth sales sync` prints it)
        #[arg(long)]
        booth: String,
        #[arg(long)]
        units: i64,
    },
}

#[derive(Debug, Subcommand)]
enum CaptureCommand {
    /// Lists the cameras and microphones libavdevice finds (v4l2, alsa, avfoundation, dshow)
    /// and the built-in test camera, each with the --source or --mic that opens it
    Devices {
        #[arg(long)]
        json: bool,
    },
    /// Shows which H.264/HEVC encoders open and pass the decode-back self-test here (kept
    /// per machine; --refresh probes again)
    Encoders {
        #[arg(long)]
        refresh: bool,
        #[arg(long)]
        json: bool,
    },
    /// Records a source to a fragmented MP4 with its sound (playable even if the recording
    /// is cut); a hardware encoder that fails mid-way is replaced by libx264 in a new segment
    Record(capture::RecordArgs),
    /// Takes a still: to a file (--out F, .jpg or .png), or into an event's originals,
    /// recorded in its database (--event DIR, with --burst N for a strip)
    Still {
        #[command(flatten)]
        source: capture::SourceArgs,
        #[arg(long, conflicts_with = "event", required_unless_present = "event")]
        out: Option<PathBuf>,
        #[arg(long)]
        event: Option<PathBuf>,
        /// Shots in the session (photo strips take 3 or 4); only with --event
        #[arg(long, default_value_t = 1, requires = "event")]
        burst: u32,
        /// Time between the shots of a burst
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
    },
}

#[derive(Debug, Subcommand)]
enum PortraitCommand {
    /// Finds the faces of a photo (boxes, keypoints, open eyes), scores its quality with
    /// reasons, and frames it for every print and social format
    Analyze {
        photo: PathBuf,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Adds the items of FILE (JSON `{"items": [...], "coupons": [...]}`, or CSV when it
    /// ends in .csv) to the catalogue; known SKUs are updated
    Import {
        file: PathBuf,
        #[arg(long)]
        event: PathBuf,
    },
    /// Prints the catalogue as JSON (or CSV), or writes it to --out (CSV when it ends in .csv)
    Export {
        #[arg(long)]
        event: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print CSV instead of JSON
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// 12 MP photos through the whole portrait pipeline to a 300 dpi print (median per photo,
    /// stage by stage, and the batch rate), against the Python reference (MediaPipe 0.10.14 +
    /// Pillow) on the same photos; ratio = the reference's time over ours
    Portrait {
        /// Photos timed one at a time (and by the reference)
        #[arg(long, default_value_t = 10)]
        photos: u32,
        /// Photos in the batch run
        #[arg(long, default_value_t = 20)]
        batch: u32,
    },
    /// Durable sales (order, line, payment and their events in one transaction, synchronous
    /// FULL) through the sales crate, and the same rows through plain sqlx statements in the
    /// same run; ratio = our sales per second over the plain statements'
    Sales {
        #[arg(long, default_value_t = 2000)]
        sales: u32,
        /// Runs of each side, alternating; the best of each counts
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// Encodes 1920x1080 testsrc2 with libx264 (preset veryfast) in-process and with the
    /// `ffmpeg` tool in the same run; ratio = our frame rate over the tool's
    Encode {
        #[arg(long, default_value_t = 300)]
        frames: u32,
        /// Runs of each side, alternating; the best of each counts
        #[arg(long, default_value_t = 1)]
        runs: u32,
        /// The ffmpeg tool to compare with
        #[arg(long, default_value = "ffmpeg")]
        ffmpeg: PathBuf,
    },
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
            Command::Capture(CaptureCommand::Devices { json }) => capture::devices(json),
            Command::Capture(CaptureCommand::Encoders { refresh, json }) => {
                capture::encoders(refresh, json)
            }
            Command::Capture(CaptureCommand::Still {
                out: Some(out),
                source,
                ..
            }) => capture::still(&out, &source),
            Command::Capture(CaptureCommand::Still {
                event: Some(event),
                burst,
                interval_ms,
                source,
                ..
            }) => capture::still_into_event(&event, burst, interval_ms, &source).await,
            Command::Capture(CaptureCommand::Still { .. }) => {
                anyhow::bail!("give --out FILE or --event DIR")
            }
            Command::Capture(CaptureCommand::Record(args)) => capture::record(&args),
            Command::Portrait(PortraitCommand::Analyze { photo, json }) => {
                portrait::analyze_photo(&photo, json)
            }
            Command::Batch(args) => portrait::batch(&args),
            Command::Bench(BenchCommand::Portrait { photos, batch }) => {
                bench::portrait(photos, batch)
            }
            Command::Sales(SalesCommand::Catalog(CatalogCommand::Import { file, event })) => {
                sales::import_catalog(&event, &file).await
            }
            Command::Sales(SalesCommand::Catalog(CatalogCommand::Export { event, out, csv })) => {
                sales::export_catalog(&event, out.as_deref(), csv).await
            }
            Command::Sales(SalesCommand::Sync(args)) => sales::sync(&args).await,
            Command::Queue(command) => queue::run(command).await,
            Command::Sales(SalesCommand::Quota {
                db,
                festival,
                sku,
                booth,
                units,
            }) => sales::quota(&db, &festival, &sku, &booth, units).await,
            Command::Sales(SalesCommand::Report { event, csv, json }) => {
                sales::report(&event, csv, json).await
            }
            Command::Bench(BenchCommand::Sales { sales, runs }) => bench::sales(sales, runs).await,
            Command::Bench(BenchCommand::Encode {
                frames,
                runs,
                ffmpeg,
            }) => bench::encode(frames, runs, &ffmpeg),
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
