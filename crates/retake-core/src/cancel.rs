//! Cancellation inside one frame's work. A frame of remove or reangle can
//! take seconds (flow for every neighbour, PatchMatch on the anchors), and
//! hosts and farm managers expect an abort to be honoured sooner than the
//! next frame. The face that renders installs a check for the current
//! thread (a host's abort call, a signal flag); long loops in core call
//! [`check`] between their steps and stop with [`Error::Cancelled`].
//!
//! The check is per thread and scoped, so instances rendering on other
//! threads, and work with no check installed, are never affected.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::{Error, Result};

thread_local! {
    static CHECK: RefCell<Option<Rc<dyn Fn() -> bool>>> = const { RefCell::new(None) };
}

/// Run `work` with `cancelled` as this thread's cancel check, restoring
/// the previous check afterwards (also when `work` unwinds).
pub fn with_check<T>(cancelled: impl Fn() -> bool + 'static, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<Rc<dyn Fn() -> bool>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CHECK.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CHECK.with(|c| c.borrow_mut().replace(Rc::new(cancelled)));
    let _restore = Restore(previous);
    work()
}

/// `Err(Cancelled)` when this thread's installed check says so; `Ok` when
/// none is installed.
pub fn check() -> Result<()> {
    let check = CHECK.with(|c| c.borrow().clone());
    match check {
        Some(cancelled) if cancelled() => Err(Error::Cancelled),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_check_applies_inside_its_scope_only() {
        assert!(check().is_ok());
        let r = with_check(|| true, check);
        assert!(matches!(r, Err(Error::Cancelled)));
        assert!(check().is_ok());
        // Nested scopes restore the outer check.
        with_check(
            || false,
            || {
                assert!(with_check(|| true, check).is_err());
                assert!(check().is_ok());
            },
        );
        let calls = Rc::new(Cell::new(0));
        let counted = calls.clone();
        with_check(
            move || {
                counted.set(counted.get() + 1);
                false
            },
            || {
                check().unwrap();
                check().unwrap();
            },
        );
        assert_eq!(calls.get(), 2);
    }
}
