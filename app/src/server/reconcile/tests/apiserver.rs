//! A fake apiserver behind a `tower-test` mock service: the requests Berth's `kube::Client`
//! sends are answered from an in-memory store of objects, as the apiserver would (404s as
//! `Status`, server-side apply, JSON and merge patches, label selectors, nothing made in a
//! namespace that does not exist), and each one is logged so a test can check exactly what was
//! read and written. Namespaces can be made to refuse everything with a 403.
use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// One request as the apiserver saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: Option<Value>,
}

impl Call {
    pub fn is_write(&self) -> bool {
        self.method != Method::GET
    }
}

#[derive(Default)]
struct Store {
    /// By collection path (`/api/v1/namespaces/x/secrets`), then name.
    objects: BTreeMap<String, BTreeMap<String, Value>>,
    forbidden: BTreeSet<String>,
    calls: Vec<Call>,
    resource_version: u64,
}

#[derive(Clone, Default)]
pub struct ApiServer {
    store: Arc<Mutex<Store>>,
}

impl ApiServer {
    /// A client whose every request this fake answers.
    pub fn client(&self) -> kube::Client {
        let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
        let server = self.clone();
        tokio::spawn(async move {
            while let Some((request, respond)) = handle.next_request().await {
                let (parts, body) = request.into_parts();
                let bytes = body.collect_bytes().await.unwrap_or_default();
                let body = serde_json::from_slice(&bytes).ok();
                let content_type = parts
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let call = Call {
                    method: parts.method,
                    path: parts.uri.path().to_owned(),
                    query: parts.uri.query().unwrap_or_default().to_owned(),
                    body,
                };
                let (status, answer) = server.answer(&call, &content_type);
                server.lock().calls.push(call);
                let response = Response::builder()
                    .status(status)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Body::from(serde_json::to_vec(&answer).unwrap_or_default()))
                    .expect("a valid response");
                respond.send_response(response);
            }
        });
        kube::Client::new(service, "default")
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores an object as it is (tests seed the cluster with it).
    pub fn put(&self, collection: &str, object: Value) {
        let mut store = self.lock();
        store.resource_version += 1;
        let mut object = object;
        object["metadata"]["resourceVersion"] = json!(store.resource_version.to_string());
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        store
            .objects
            .entry(collection.to_owned())
            .or_default()
            .insert(name, object);
    }

    pub fn get(&self, collection: &str, name: &str) -> Option<Value> {
        self.lock().objects.get(collection)?.get(name).cloned()
    }

    pub fn remove(&self, collection: &str, name: &str) -> Option<Value> {
        self.lock().objects.get_mut(collection)?.remove(name)
    }

    /// Every request in `namespace` is refused from now on.
    pub fn forbid(&self, namespace: &str) {
        self.lock().forbidden.insert(namespace.to_owned());
    }

    /// Every object of a collection.
    pub fn list(&self, collection: &str) -> Vec<Value> {
        self.lock()
            .objects
            .get(collection)
            .map(|o| o.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn forget_calls(&self) {
        self.lock().calls.clear();
    }

    pub fn writes(&self) -> Vec<Call> {
        self.calls().into_iter().filter(Call::is_write).collect()
    }

    fn answer(&self, call: &Call, content_type: &str) -> (StatusCode, Value) {
        let namespace = call
            .path
            .split("/namespaces/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .filter(|_| call.path.matches('/').count() > 4);
        if namespace.is_some_and(|ns| self.lock().forbidden.contains(ns)) {
            return status(StatusCode::FORBIDDEN, "Forbidden", "forbidden by the test");
        }
        let path = call.path.strip_suffix("/status").unwrap_or(&call.path);
        let (collection, name) = match path.rsplit_once('/') {
            Some((collection, name)) if !is_collection(path) => {
                (collection.to_owned(), name.to_owned())
            }
            _ => (path.to_owned(), String::new()),
        };
        let mut store = self.lock();
        // As the apiserver: nothing is made in a namespace that does not exist.
        let creates = call.method == Method::POST
            || (call.method == Method::PATCH
                && content_type.starts_with("application/apply-patch")
                && !store
                    .objects
                    .get(&collection)
                    .is_some_and(|o| o.contains_key(&name)));
        if let Some(namespace) = namespace.filter(|_| creates) {
            let exists = store
                .objects
                .get("/api/v1/namespaces")
                .is_some_and(|n| n.contains_key(namespace));
            if !exists {
                return not_found(&format!("namespaces \"{namespace}\""));
            }
        }
        match (&call.method, name.is_empty()) {
            (&Method::GET, true) => {
                let wanted = labels(&call.query);
                let items: Vec<Value> = store
                    .objects
                    .get(&collection)
                    .map(|objects| {
                        objects
                            .values()
                            .filter(|o| {
                                wanted.iter().all(|(k, v)| {
                                    o["metadata"]["labels"][k].as_str() == Some(v.as_str())
                                })
                            })
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let version = store.resource_version.to_string();
                (
                    StatusCode::OK,
                    json!({
                        "apiVersion": "v1", "kind": "List",
                        "metadata": { "resourceVersion": version }, "items": items
                    }),
                )
            }
            (&Method::POST, true) => {
                let object = call.body.clone().unwrap_or_default();
                let name = object["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                store
                    .objects
                    .entry(collection)
                    .or_default()
                    .insert(name, object.clone());
                (StatusCode::CREATED, object)
            }
            (&Method::GET, false) => {
                match store.objects.get(&collection).and_then(|o| o.get(&name)) {
                    Some(object) => (StatusCode::OK, object.clone()),
                    None => not_found(&name),
                }
            }
            (&Method::DELETE, false) => match store
                .objects
                .get_mut(&collection)
                .and_then(|o| o.remove(&name))
            {
                Some(object) => (StatusCode::OK, object),
                None => not_found(&name),
            },
            (&Method::PATCH, false) => {
                let existing = store
                    .objects
                    .get(&collection)
                    .and_then(|o| o.get(&name))
                    .cloned();
                let patch = call.body.clone().unwrap_or_default();
                let (code, patched) = if content_type.starts_with("application/apply-patch") {
                    let code = if existing.is_some() {
                        StatusCode::OK
                    } else {
                        StatusCode::CREATED
                    };
                    (code, patch)
                } else {
                    let Some(mut object) = existing else {
                        return not_found(&name);
                    };
                    if content_type.starts_with("application/json-patch") {
                        let Ok(ops) = serde_json::from_value::<json_patch::Patch>(patch) else {
                            return status(
                                StatusCode::BAD_REQUEST,
                                "BadRequest",
                                "not a JSON patch",
                            );
                        };
                        if json_patch::patch(&mut object, &ops).is_err() {
                            return status(
                                StatusCode::UNPROCESSABLE_ENTITY,
                                "Invalid",
                                "the JSON patch does not apply",
                            );
                        }
                    } else {
                        json_patch::merge(&mut object, &patch);
                    }
                    (StatusCode::OK, object)
                };
                store.resource_version += 1;
                let mut patched = patched;
                patched["metadata"]["resourceVersion"] = json!(store.resource_version.to_string());
                store
                    .objects
                    .entry(collection)
                    .or_default()
                    .insert(name, patched.clone());
                (code, patched)
            }
            _ => status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "not in this fake",
            ),
        }
    }
}

/// A path names a collection when it ends in a plural after a group/version or a namespace.
fn is_collection(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["api", _, _]
            | ["apis", _, _, _]
            | ["api", _, "namespaces", _, _]
            | ["apis", _, _, "namespaces", _, _]
    )
}

/// `labelSelector=a=b,c=d` from a query string.
fn labels(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "labelSelector")
        .flat_map(|(_, v)| {
            v.split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn status(code: StatusCode, reason: &str, message: &str) -> (StatusCode, Value) {
    (
        code,
        json!({
            "apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code.as_u16(),
            "reason": reason, "message": message, "metadata": {}
        }),
    )
}

fn not_found(name: &str) -> (StatusCode, Value) {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{name} not found"),
    )
}
