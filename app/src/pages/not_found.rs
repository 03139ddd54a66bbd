use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! { <NotFoundBody message="There is nothing at this address.".to_owned() /> }
}

#[component]
pub fn NotFoundBody(message: String) -> impl IntoView {
    view! {
        <Title text="Not found" />
        <h1 class="text-2xl font-semibold">"Not found"</h1>
        <p id="not-found" class="mt-3">
            {message}
        </p>
        <p class="mt-6">
            <a class="text-sky-700 underline dark:text-sky-400" href="/">
                "Back to your teams"
            </a>
        </p>
    }
}
