//! Copy to the clipboard: a snippet's text, or (for passwords) text fetched from a route only when
//! the user presses the button, so a secret is never part of the page. JavaScript only: without it
//! the button is not rendered and the page offers a download link instead.
use super::{hydrated, use_toasts, BUTTON};
use crate::model::Snippet;
use leptos::prelude::*;

#[island]
pub fn CopyButton(
    #[prop(into)] label: String,
    /// Copied as it is.
    #[prop(optional, into)]
    text: Option<String>,
    /// Fetched (same origin, with the session cookie) when pressed, then copied.
    #[prop(optional, into)]
    fetch_url: Option<String>,
    #[prop(optional, into)] id: Option<String>,
    #[prop(into)] done: String,
) -> impl IntoView {
    let mounted = hydrated();
    let busy = RwSignal::new(false);
    let toasts = use_toasts();
    let source = StoredValue::new((text, fetch_url));
    let done = StoredValue::new(done);
    let on_click = move |_| {
        let (text, fetch_url) = source.get_value();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = copy_to_clipboard(text, fetch_url).await;
            busy.set(false);
            match result {
                Ok(()) => toasts.success(done.get_value()),
                Err(message) => toasts.error(message),
            }
        });
    };
    view! {
        <Show when=move || mounted.get()>
            <button
                type="button"
                id=id.clone()
                class=format!("copy {BUTTON}")
                disabled=move || busy.get()
                aria-busy=move || busy.get().to_string()
                on:click=on_click
            >
                {
                    let label = label.clone();
                    move || if busy.get() { "Copying…".to_owned() } else { label.clone() }
                }
            </button>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
async fn copy_to_clipboard(text: Option<String>, fetch_url: Option<String>) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("The page has no window.")?;
    let text = match (text, fetch_url) {
        (Some(text), _) => text,
        (None, Some(url)) => {
            let response = JsFuture::from(window.fetch_with_str(&url))
                .await
                .map_err(|_| "Berth could not be reached; try again.".to_owned())?;
            let response: web_sys::Response = response
                .dyn_into()
                .map_err(|_| "Unexpected answer from Berth.".to_owned())?;
            if !response.ok() {
                return Err(format!(
                    "Berth refused ({}): reload the page to see why.",
                    response.status()
                ));
            }
            let body = response
                .text()
                .map_err(|_| "Unexpected answer from Berth.".to_owned())?;
            JsFuture::from(body)
                .await
                .ok()
                .and_then(|v| v.as_string())
                .ok_or("Unexpected answer from Berth.")?
        }
        (None, None) => return Err("Nothing to copy.".into()),
    };
    JsFuture::from(window.navigator().clipboard().write_text(&text))
        .await
        .map_err(|_| "The browser refused the clipboard; use the download instead.".to_owned())?;
    Ok(())
}

#[cfg(not(feature = "hydrate"))]
async fn copy_to_clipboard(
    _text: Option<String>,
    _fetch_url: Option<String>,
) -> Result<(), String> {
    Err("Copying needs the browser.".into())
}

/// A how-to: title, why, the code, and a copy button.
#[component]
pub fn CodeBlock(snippet: Snippet) -> impl IntoView {
    view! {
        <details
            class="snippet group rounded-md border border-slate-200 dark:border-slate-700"
            id=format!("howto-{}", snippet.id)
        >
            <summary class="cursor-pointer select-none px-3 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500">
                {snippet.title.clone()}
            </summary>
            <div class="border-t border-slate-200 px-3 py-2 dark:border-slate-700">
                <p class="mb-2 text-sm text-slate-700 dark:text-slate-300">
                    {snippet.intro.clone()}
                </p>
                <pre
                    class="overflow-x-auto rounded bg-slate-100 p-3 text-xs leading-relaxed dark:bg-slate-800"
                    tabindex="0"
                >
                    <code>{snippet.code.clone()}</code>
                </pre>
                <div class="mt-2">
                    <CopyButton
                        label="Copy"
                        text=snippet.code.clone()
                        done=format!("{} copied.", snippet.title)
                    />
                </div>
            </div>
        </details>
    }
}
