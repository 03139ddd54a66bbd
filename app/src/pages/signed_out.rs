use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignedOutPage() -> impl IntoView {
    view! {
        <Title text="Signed out" />
        <h1 class="text-2xl font-semibold">"You are signed out"</h1>
        <p class="mt-6">
            <a
                id="sign-in-again"
                class="text-sky-700 underline dark:text-sky-400"
                href="/auth/login"
            >
                "Sign in again"
            </a>
        </p>
    }
}
