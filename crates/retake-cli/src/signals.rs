//! SIGINT and SIGTERM (how people and farm managers cancel) become the
//! pipeline's cancel flag, so a render stops between frames, its temporary
//! file is removed by the normal error path and finished sequence frames
//! stay. A second signal ends the process at once (the default action).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

/// The flag the pipeline polls; set from the signal handler.
static CANCEL: OnceLock<Arc<AtomicBool>> = OnceLock::new();
/// The signal that cancelled the run (0 = none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    // Only atomic stores: nothing else is safe in a signal handler.
    RECEIVED.store(signal, Ordering::SeqCst);
    if let Some(flag) = CANCEL.get() {
        flag.store(true, Ordering::SeqCst);
    }
}

/// Route SIGINT and SIGTERM to the returned cancel flag (once per process).
pub fn cancel_on_signals() -> Arc<AtomicBool> {
    let flag = CANCEL.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: the handler only does atomic stores; SA_RESETHAND makes
            // a second signal take the default action (end the process).
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
        flag
    });
    Arc::clone(flag)
}

/// The signal that cancelled this run, if one did.
pub fn received() -> Option<(i32, &'static str)> {
    match RECEIVED.load(Ordering::SeqCst) {
        libc::SIGINT => Some((libc::SIGINT, "SIGINT")),
        libc::SIGTERM => Some((libc::SIGTERM, "SIGTERM")),
        _ => None,
    }
}

/// The shell's convention: 128 + the signal number (130 for SIGINT, 143
/// for SIGTERM).
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}
