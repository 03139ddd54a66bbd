//! Toasts: short success and error notes after a browser-side action (copying), announced to screen
//! readers, gone after a few seconds or when dismissed. They need JavaScript; form posts show their
//! outcome in the page instead (see `FlashNote`), with JavaScript or without.
use leptos::prelude::*;
use std::time::Duration;

#[derive(Clone, PartialEq)]
struct Toast {
    id: u64,
    ok: bool,
    message: String,
}

/// The page's toasts; `Copy`, so handlers can hold it.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    fn new() -> Self {
        Toasts {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    fn push(&self, ok: bool, message: String) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.list
            .update(|list| list.push(Toast { id, ok, message }));
        let list = self.list;
        set_timeout(
            move || list.update(|l| l.retain(|t| t.id != id)),
            Duration::from_secs(if ok { 5 } else { 10 }),
        );
    }

    pub fn success(&self, message: impl Into<String>) {
        self.push(true, message.into());
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(false, message.into());
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

/// The one list of the page. Islands hydrate as separate roots and share no context, so
/// the browser keeps one list per page; the server renders the region empty and never
/// shares a list between requests.
pub fn use_toasts() -> Toasts {
    #[cfg(feature = "hydrate")]
    {
        thread_local! {
            static PAGE_TOASTS: Toasts = Toasts::new();
        }
        PAGE_TOASTS.with(|toasts| *toasts)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Toasts::new()
    }
}

#[island]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div
            class="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4 sm:items-end"
            aria-live="polite"
            aria-atomic="false"
        >
            <For each=move || toasts.list.get() key=|t| t.id let:toast>
                // Polite for errors too: the page also shows them in place (role=alert),
                // announced once is enough.
                <div
                    role="status"
                    data-kind=if toast.ok { "success" } else { "error" }
                    class=if toast.ok {
                        "toast pointer-events-auto flex max-w-md items-start gap-3 rounded-md border border-emerald-300 bg-emerald-50 px-4 py-2 text-sm text-emerald-900 shadow dark:border-emerald-700 dark:bg-emerald-950 dark:text-emerald-100"
                    } else {
                        "toast pointer-events-auto flex max-w-md items-start gap-3 rounded-md border border-red-300 bg-red-50 px-4 py-2 text-sm text-red-900 shadow dark:border-red-700 dark:bg-red-950 dark:text-red-100"
                    }
                >
                    <span>{toast.message.clone()}</span>
                    <button
                        type="button"
                        class="ml-auto rounded px-1 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500"
                        aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
