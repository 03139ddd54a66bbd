//! Every route Berth answers, wrapped in the middleware stack (`app::server::http::layers`).
use app::app::{shell, App};
use app::server::{
    auth::routes as auth_routes,
    http::{headers::provide_request_nonce, layers, probes},
    state::AppState,
    views::download,
};
use axum::{extract::State, response::IntoResponse, routing::get, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::Key;

#[cfg(test)]
mod tests;

/// The probes, `/metrics`, sign-in, downloads, the pages and server functions, and the site's files
/// (or the not-found page) for anything else; `session_key` signs the session cookies.
pub fn router(state: AppState, session_key: Key) -> Router {
    let options = state.leptos_options.clone();
    let routes = Router::new()
        .merge(probes::router())
        .route("/metrics", get(metrics))
        .merge(auth_routes::router())
        .merge(download::router())
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            provide_request_nonce,
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_request_nonce, shell));
    layers(routes, &state, session_key).with_state(state)
}

/// Prometheus' text format: the process's metrics and Harbor's sign-in count.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    text.push_str(&format!(
        "# HELP berth_harbor_sign_ins_total Sign-ins to Harbor (a session each; 0 with \
         BERTH_HARBOR_AUTH=basic).\
         \n# TYPE berth_harbor_sign_ins_total counter\
         \nberth_harbor_sign_ins_total {}\n",
        state.harbor.sign_ins()
    ));
    ([("content-type", "text/plain; version=0.0.4")], text)
}
