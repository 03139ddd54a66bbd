//! Clean addresses after a form: for a browser's form post to a server function that failed,
//! leptos_axum redirects back with the error in the query (`?__path=/api/...&__err=...`). Berth
//! already keeps the outcome in the session (`views::flash`), shown once; left in the address,
//! the error would come back on every reload and bookmark. This drops those two parameters from
//! the redirect, so the page's address stays the one the person was on.
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The query parameters leptos_axum adds to a failed form post's redirect.
const ADDED: [&str; 2] = ["__path", "__err"];

pub async fn clean_form_redirect(request: Request, next: Next) -> Response {
    let form_post =
        request.method() == axum::http::Method::POST && request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if !form_post || !response.status().is_redirection() {
        return response;
    }
    let cleaned = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(without_added_parameters)
        .and_then(|location| HeaderValue::from_str(&location).ok());
    if let Some(location) = cleaned {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `location` without leptos_axum's parameters; `None` when it has none.
fn without_added_parameters(location: &str) -> Option<String> {
    let (path, query) = location.split_once('?')?;
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let is_added = |pair: &&str| ADDED.contains(&pair.split('=').next().unwrap_or_default());
    if !query.split('&').any(|pair| is_added(&pair)) {
        return None;
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !is_added(pair))
        .collect();
    let mut cleaned = path.to_owned();
    if !kept.is_empty() {
        cleaned.push('?');
        cleaned.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        cleaned.push('#');
        cleaned.push_str(fragment);
    }
    Some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::without_added_parameters as clean;

    #[test]
    fn only_leptos_parameters_go() {
        assert_eq!(
            clean("/admin?__path=%2Fapi%2Fdelete_team&__err=%7B%7D").as_deref(),
            Some("/admin")
        );
        assert_eq!(
            clean("/audit?team=alpha&__path=%2Fapi%2Fx&__err=y").as_deref(),
            Some("/audit?team=alpha")
        );
        assert_eq!(
            clean("http://b/teams/alpha?__err=1#manage").as_deref(),
            Some("http://b/teams/alpha#manage")
        );
        assert_eq!(clean("/audit?team=alpha"), None);
        assert_eq!(clean("/admin"), None);
    }
}
