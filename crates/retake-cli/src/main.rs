//! The `retake` binary: parses flags, runs one command, maps errors to
//! exit codes. The work is in retake-core and retake-media.

mod args;
mod commands;
mod context;
mod progress;
mod signals;

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
        Err(retake_core::Error::Cancelled) => cancelled(),
        Err(e) => {
            eprintln!("retake: error: {e}");
            let style = cli.global.progress.style();
            if let Some(line) = progress::failure_line(style, &e.to_string()) {
                println!("{line}");
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// One message for a cancelled run, and the exit code that says which
/// signal stopped it (130 for SIGINT or a host abort, 143 for SIGTERM).
fn cancelled() -> i32 {
    let (code, by) = match signals::received() {
        Some((signal, name)) => (signals::exit_code(signal), format!(" by {name}")),
        None => (retake_core::Error::Cancelled.exit_code(), String::new()),
    };
    eprintln!(
        "retake: cancelled{by}: finished frames are kept, the unfinished output was removed; \
         run again with --resume to finish a sequence"
    );
    code
}
