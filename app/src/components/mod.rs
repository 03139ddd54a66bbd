//! Pieces the pages share.
mod copy;
mod submit;
mod table;
mod toast;

pub use copy::{CodeBlock, CopyButton};
pub use submit::SubmitButton;
pub use table::{col, Column, DataTable};
pub use toast::{use_toasts, ToastRegion, Toasts};

use crate::api::anyone::current_user;
use crate::api::anyone::take_flash;
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn Header() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <nav
                class="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6"
                aria-label="Main"
            >
                <a
                    href="/"
                    class="text-lg font-semibold tracking-tight text-sky-800 dark:text-sky-300"
                >
                    "⚓ Berth"
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(user)) => {
                                view! {
                                    <a href="/" class="text-sm hover:underline">
                                        "Teams"
                                    </a>
                                    {user
                                        .is_platform_admin
                                        .then(|| {
                                            view! {
                                                <a href="/admin" class="text-sm hover:underline">
                                                    "Admin"
                                                </a>
                                            }
                                        })}
                                    <span
                                        class="ml-auto min-w-0 text-sm text-slate-600 dark:text-slate-400"
                                        id="signed-in-as"
                                    >
                                        {user.display_name.clone()}
                                        " ("
                                        {user.username.clone()}
                                        ")"
                                    </span>
                                    <form method="post" action="/auth/logout">
                                        <button
                                            type="submit"
                                            id="sign-out"
                                            class="rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-sky-500 dark:border-slate-700 dark:hover:bg-slate-800"
                                        >
                                            "Sign out"
                                        </button>
                                    </form>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <a href="/auth/login" class="ml-auto text-sm hover:underline">
                                        "Sign in"
                                    </a>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}

/// A titled card.
#[component]
pub fn Card(
    #[prop(into)] title: String,
    #[prop(optional, into)] id: String,
    children: Children,
) -> impl IntoView {
    view! {
        <section
            id=id
            class="rounded-lg border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900"
        >
            <h2 class="mb-3 text-lg font-semibold">{title}</h2>
            {children()}
        </section>
    }
}

/// A failure of one part of a page, said plainly.
#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    view! {
        <p
            role="alert"
            class="error-note rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
        >
            {error.to_string()}
        </p>
    }
}

/// What the last form post on this page did (`id` marks the message), shown once.
#[component]
pub fn FlashNote() -> impl IntoView {
    let flash = Resource::new(|| (), |_| take_flash());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                flash
                    .await
                    .ok()
                    .flatten()
                    .map(|flash| {
                        if flash.ok {
                            let commands = (!flash.commands.is_empty())
                                .then(|| {
                                    let text = flash.commands.join("\n");
                                    view! {
                                        <pre
                                            class="mt-2 overflow-x-auto rounded bg-white/70 p-2 text-xs leading-relaxed dark:bg-slate-900/70"
                                            tabindex="0"
                                        >
                                            <code class="next-commands">{text.clone()}</code>
                                        </pre>
                                        <div class="mt-2">
                                            <CopyButton
                                                label="Copy commands"
                                                text=text
                                                done="Commands copied."
                                            />
                                        </div>
                                    }
                                });
                            view! {
                                <div
                                    class="success-note my-3 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
                                    role="status"
                                    id=flash.id
                                >
                                    <p>{flash.message}</p>
                                    {commands}
                                </div>
                            }
                                .into_any()
                        } else {
                            view! {
                                <div class="my-3" id=flash.id>
                                    <ErrorNote error=AppError::BadRequest(flash.message) />
                                </div>
                            }
                                .into_any()
                        }
                    })
            })}
        </Suspense>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="text-sm text-slate-600 dark:text-slate-400" role="status" aria-live="polite">
            "Loading…"
        </p>
    }
}

/// True once the WASM front end has taken over the page: controls that need JavaScript render only
/// then, so a page without JavaScript never shows a button that cannot work.
pub fn hydrated() -> ReadSignal<bool> {
    let (mounted, set_mounted) = signal(false);
    Effect::new(move |_| set_mounted.set(true));
    mounted
}

/// The classes of a secondary button.
pub const BUTTON: &str = "\
    rounded-md border border-slate-300 px-3 py-1 text-sm hover:bg-slate-100 focus:outline-none \
    focus-visible:ring-2 focus-visible:ring-sky-500 disabled:opacity-50 dark:border-slate-600 \
    dark:hover:bg-slate-800";
/// The classes of a text input or select.
pub const INPUT: &str = "\
    max-w-full rounded-md border border-slate-400 bg-white px-2 py-1 text-sm focus:outline-none \
    focus-visible:ring-2 focus-visible:ring-sky-500 dark:border-slate-500 dark:bg-slate-900";
/// The classes of a primary button or link.
pub const PRIMARY: &str = "\
    inline-block rounded-md bg-sky-700 px-4 py-2 text-sm font-medium text-white hover:bg-sky-800 \
    focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 focus-visible:ring-offset-2 \
    disabled:opacity-50";

/// `1536` -> `1.5 KiB`.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `3600` -> `1 hour`, `90` -> `2 minutes` (rounded up), `172800` -> `2 days`.
pub fn human_duration(seconds: u64) -> String {
    let (n, unit) = match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s >= 60 => (s.div_ceil(60), "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `2026-11-22T21:46:47.4268Z` -> `2026-11-22 21:46 UTC`; anything else is shown as it is.
pub fn short_time(rfc3339: &str) -> String {
    let bytes = rfc3339.as_bytes();
    if rfc3339.len() >= 16 && bytes[10] == b'T' && rfc3339.ends_with('Z') {
        format!("{} {} UTC", &rfc3339[..10], &rfc3339[11..16])
    } else {
        rfc3339.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_well() {
        assert_eq!(
            super::short_time("2026-11-22T21:46:47.426846844Z"),
            "2026-11-22 21:46 UTC"
        );
        assert_eq!(
            super::short_time("2026-11-22T21:46:47+02:00"),
            "2026-11-22T21:46:47+02:00"
        );
        assert_eq!(super::short_time("soon"), "soon");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(super::human_duration(3600), "1 hour");
        assert_eq!(super::human_duration(90), "2 minutes");
        assert_eq!(super::human_duration(5), "5 seconds");
        assert_eq!(super::human_duration(172_800), "2 days");
        assert_eq!(super::human_duration(5400), "90 minutes");
    }

    #[test]
    fn bytes_read_well() {
        assert_eq!(super::human_bytes(512), "512 B");
        assert_eq!(super::human_bytes(1536), "1.5 KiB");
        assert_eq!(super::human_bytes(10 * 1024 * 1024 * 1024), "10.0 GiB");
    }
}
