//! The `retake` binary: parses flags, runs one command, maps errors to
//! exit codes. The work is in retake-core and retake-media.

mod args;
mod commands;
mod context;
mod progress;

use clap::Parser;

/// Frames are tens of megabytes. With glibc's defaults, freed frames pile up
/// in one heap per thread and peak memory depends on timing; mapping every
/// large buffer afresh instead costs a quarter of the run in page faults. A
/// fixed threshold above frame size and two heaps keep buffers reused and
/// memory flat whatever the clip's length.
fn bound_allocator() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes allocator tuning; called before threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() {
    bound_allocator();
    let cli = args::Cli::parse();
    context::init_logging(&cli.global);
    let code = match commands::dispatch(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("retake: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
