//! Printing to stdout the way a pipeline expects: when the reader goes away
//! (`popbooth capture encoders --json | head`), the command ends quietly with success, as Unix
//! tools do, instead of panicking the way `println!` does on a closed pipe.

use std::io::Write;

/// Writes one line to stdout; a closed pipe ends the process with success.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{args}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: could not write the output: {e}");
        std::process::exit(1);
    }
}

/// `println!` that survives a closed pipe (see [`line`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;
