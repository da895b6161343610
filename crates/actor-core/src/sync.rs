//! The synchronisation the runtime's shared records use, swapped for `loom`'s models when
//! the crate's unit tests are built with `--cfg loom` (`just loom`), so that the model
//! checker explores every interleaving of the protocols built on them: the mailbox's push
//! against its close, the exit cleanup against its waiters, a timer's send against its
//! cancel, a call's reply against its receiver. Outside those tests they are the ordinary
//! types, at no cost.

#[cfg(not(all(loom, test)))]
pub(crate) use real::*;

#[cfg(all(loom, test))]
pub(crate) use model::*;

#[cfg(not(all(loom, test)))]
mod real {
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize};
    pub(crate) use tokio::sync::Notify;

    /// A lock whose `lock` hands the guard straight back: `parking_lot`'s, which does not
    /// poison (a section under it never runs user code, so never panics half-way).
    pub(crate) type Mutex<T> = parking_lot::Mutex<T>;
    pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    /// `std`'s `UnsafeCell` with `loom`'s access methods: every access to the contents goes
    /// through `with` (shared) or `with_mut` (exclusive), which the model checker tracks.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        /// Runs `f` on a pointer to the contents, for reading.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` on a pointer to the contents, for writing.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(all(loom, test))]
mod model {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize};

    /// `loom`'s mutex with the guard handed straight back, as `parking_lot`'s.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    /// A model of `tokio::sync::Notify`'s `notify_waiters`, the only part the runtime uses:
    /// a `Notified` enabled (or first polled) before a `notify_waiters` call is woken by it;
    /// one made after waits for the next.
    #[derive(Debug, Default)]
    pub(crate) struct Notify {
        state: Mutex<(u64, Vec<Waker>)>,
    }

    impl Notify {
        pub(crate) fn new() -> Self {
            Self::default()
        }

        pub(crate) fn notified(&self) -> Notified<'_> {
            Notified {
                notify: self,
                since: None,
            }
        }

        pub(crate) fn notify_waiters(&self) {
            let wakers = {
                let mut state = self.state.lock();
                state.0 += 1;
                std::mem::take(&mut state.1)
            };
            for w in wakers {
                w.wake();
            }
        }
    }

    #[derive(Debug)]
    pub(crate) struct Notified<'a> {
        notify: &'a Notify,
        since: Option<u64>,
    }

    impl Notified<'_> {
        pub(crate) fn enable(self: Pin<&mut Self>) {
            let this = self.get_mut();
            if this.since.is_none() {
                this.since = Some(this.notify.state.lock().0);
            }
        }
    }

    impl Future for Notified<'_> {
        type Output = ();

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let this = self.get_mut();
            let mut state = this.notify.state.lock();
            let since = *this.since.get_or_insert(state.0);
            if state.0 > since {
                return Poll::Ready(());
            }
            state.1.push(cx.waker().clone());
            Poll::Pending
        }
    }
}
