//! The `retake` binary: parses flags, runs one command, maps errors to
//! exit codes. The work is in the operation crates (retake-ops, retake-ops3d),
//! retake-core and retake-media.

mod args;
mod commands;
mod context;
mod exit;
mod progress;
mod signals;
mod table_args;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Remove churns whole frames: each rendered frame frees and allocates
/// tens of megabytes (decoded picture, output, crops, flows). With the
/// fixed mmap threshold above, glibc keeps its trim threshold at 128 KiB,
/// so every free at the top of a heap hands the pages back to the kernel
/// and the next frame faults them in again, zeroed (a third of remove's
/// page faults, 0.5 CPU-s of 6.5 on 12 frames of 1080p). Keeping up to
/// 256 MiB of freed memory per heap avoids that; remove's and convert's
/// peak RSS do not grow with it (measured), reangle's did (by 3%), so only
/// remove and convert ask for it (mask's page faults fall by a sixth with
/// it, but not its CPU time). Safe to call while threads run: mallopt
/// takes the allocator's own lock.
pub(crate) fn keep_freed_frames() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes allocator tuning.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Any panic, on any thread, is reported once as one line and the process
/// exits 70 (internal error) instead of printing Rust's panic text.
fn report_panics() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    std::panic::set_hook(Box::new(|info| {
        if REPORTED.swap(true, Ordering::SeqCst) {
            return;
        }
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown cause");
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "retake: internal error: {what}{at}; this is a bug in retake, please report it \
             with the command line"
        );
    }));
}

/// The command, its errors mapped to exit codes.
fn run(cli: &args::Cli) -> i32 {
    // A test hook: proves a panic becomes exit 70 and one line.
    if std::env::var_os("RETAKE_TEST_PANIC").is_some() {
        panic!("RETAKE_TEST_PANIC is set");
    }
    let result = retake_core::pipeline::start_thread_pool().and_then(|()| commands::dispatch(cli));
    match result {
        Ok(code) => code,
        Err(retake_core::Error::Cancelled) => cancelled(),
        Err(e) => {
            let text = table_args::message(&e);
            eprintln!("retake: error: {text}");
            let style = cli.global.progress.style();
            if let Some(line) = progress::failure_line(style, &text) {
                println!("{line}");
            }
            exit::code(&e)
        }
    }
}

fn main() {
    bound_allocator();
    report_panics();
    let cli = args::Cli::parse();
    context::init_logging(&cli.global);
    if cli.global.verbose >= 2 {
        retake_media::show_ffmpeg_log();
    }
    let code = std::panic::catch_unwind(AssertUnwindSafe(|| run(&cli))).unwrap_or(exit::INTERNAL);
    std::process::exit(code);
}

/// One message for a cancelled run, and the exit code that says which
/// signal stopped it (130 for SIGINT or a host abort, 143 for SIGTERM).
fn cancelled() -> i32 {
    let (code, by) = match signals::received() {
        Some((signal, name)) => (signals::exit_code(signal), format!(" by {name}")),
        None => (exit::CANCELLED, String::new()),
    };
    eprintln!(
        "retake: cancelled{by}: finished frames are kept, the unfinished output was removed; \
         run again with --resume to finish a sequence"
    );
    code
}
