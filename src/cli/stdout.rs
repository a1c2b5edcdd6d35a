//! Standard output that a closed pipe does not crash. `println!` panics when the reader has gone (e.g.
//! `dsop-harness validate | head -1`); here the first failed write marks stdout closed, later output is
//! dropped quietly, and the command ends with its own exit code, as ripgrep and cargo do.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether stdout has been found closed (no reader any more).
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Note a failed write to stdout: a closed pipe is quiet from now on; any other error is said once on stderr.
pub fn failed(e: &std::io::Error) {
    if !CLOSED.swap(true, Ordering::Relaxed) && e.kind() != std::io::ErrorKind::BrokenPipe {
        eprintln!("error: cannot write to standard output: {e}");
    }
}

/// Write `args` to stdout and flush; after the first failure, nothing.
pub fn write(args: std::fmt::Arguments) {
    if closed() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        failed(&e);
    }
}
