//! Small server-rendered pages for answers outside the Leptos app (sign-in
//! errors, refused downloads).
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A complete HTML page with a title, a message and a link onwards. All text is escaped.
pub fn message_page(
    status: StatusCode,
    title: &str,
    message: &str,
    link: (&str, &str),
) -> Response {
    let html = format!(
        concat!(
            r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">"#,
            r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
            r#"<title>{title} · Berth</title><link rel="stylesheet" href="/pkg/berth.css"></head>"#,
            r#"<body class="min-h-screen bg-slate-50 text-slate-900 dark:bg-slate-950 "#,
            r#"dark:text-slate-100"><main class="mx-auto max-w-xl p-8">"#,
            r#"<h1 class="text-2xl font-semibold">{title}</h1>"#,
            r#"<p id="message" class="mt-4">{message}</p><p class="mt-6">"#,
            r#"<a class="text-sky-700 underline dark:text-sky-400" href="{href}">{label}</a></p>"#,
            r#"</main></body></html>"#,
        ),
        title = escape(title),
        message = escape(message),
        href = escape(link.0),
        label = escape(link.1),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}
