//! The shell, the router and the page frame.
use crate::components::{Header, ToastRegion};
use crate::pages::{
    AdminPage, AuditPage, HarborUsersPage, HealthPage, NotFound, SignedOutPage, TeamPage, TeamsPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                // Islands: only the interactive parts (copy buttons, toasts, submit
                // buttons) ship as WASM; every page is rendered by the server and
                // navigation is by plain links and forms.
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900 antialiased wrap-break-word dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Async SSR: pages arrive complete, so they read the same with JavaScript off.
    view! {
        <Stylesheet id="leptos" href="/pkg/berth.css" />
        <Title formatter=|text: String| {
            if text.is_empty() { "Berth".to_owned() } else { format!("{text} · Berth") }
        } />
        <Router>
            // The first stop for keyboard users: past the navigation to the page itself.
            <a
                href="#main"
                id="skip-link"
                class="sr-only rounded-md bg-white px-3 py-2 text-sm text-sky-800 focus:not-sr-only focus:absolute focus:left-4 focus:top-2 focus:z-50 focus:ring-2 focus:ring-sky-500 dark:bg-slate-900 dark:text-sky-300"
            >
                "Skip to content"
            </a>
            <Header />
            <main
                id="main"
                tabindex="-1"
                class="mx-auto w-full max-w-5xl px-4 py-8 focus:outline-none sm:px-6"
            >
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=TeamsPage ssr=SsrMode::Async />
                    <Route path=path!("/teams/:name") view=TeamPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/health") view=HealthPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/harbor-users")
                        view=HarborUsersPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/signed-out") view=SignedOutPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <ToastRegion />
        </Router>
    }
}
