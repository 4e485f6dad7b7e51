//! The `retake` binary: parses flags, runs one command, maps errors to
//! exit codes. The work is in retake-core and retake-media.

mod args;
mod commands;
mod context;
mod progress;

use clap::Parser;

/// Frames are tens of megabytes; glibc's adaptive mmap threshold would keep
/// freed frames in per-thread heaps, so peak memory would depend on timing.
/// A fixed threshold returns every frame buffer to the system when dropped.
fn bound_allocator() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes allocator tuning; called before threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
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
