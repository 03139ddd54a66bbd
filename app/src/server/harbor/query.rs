//! Harbor's `q` list filter, written as Harbor reads it. Harbor's web framework decodes the query
//! string once, then its `q` parser (src/lib/q/builder.go) decodes `q` a second time before
//! splitting it on `,` into `key=value` items: a `+` Berth sent as `%2B` would arrive as a space
//! and a `%` as an escape. So every value is escaped here once more (as Go's `url.QueryEscape`),
//! and the transport escapes the whole `q` as usual.
use url::form_urlencoded::byte_serialize;

/// A `q` filter under construction: `Q::new().exact("Level", "project").fuzzy("name", "berth-a-")`.
#[derive(Debug, Default, Clone)]
pub struct Q(Vec<String>);

impl Q {
    pub fn new() -> Self {
        Self::default()
    }

    /// `key=value`: the field equals the value.
    pub fn exact(mut self, key: &str, value: &str) -> Self {
        self.0.push(format!("{key}={}", escape(value)));
        self
    }

    /// `key=~value`: the field contains the value (Harbor's fuzzy match).
    pub fn fuzzy(mut self, key: &str, value: &str) -> Self {
        self.0.push(format!("{key}=~{}", escape(value)));
        self
    }

    /// The value of the `q` query parameter.
    pub fn build(&self) -> String {
        self.0.join(",")
    }
}

fn escape(value: &str) -> String {
    byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::Q;

    /// Go's `url.QueryUnescape`, as Harbor applies it to `q` after the transport's own decoding.
    fn harbor_unescape(text: &str) -> String {
        url::form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }

    #[test]
    fn values_survive_harbors_second_decoding() {
        let q = Q::new()
            .exact("Level", "project")
            .exact("ProjectID", "7")
            .build();
        assert_eq!(q, "Level=project,ProjectID=7");
        for value in ["team-a+", "50%", "a b", "x~y", "r\u{e9}sum\u{e9}"] {
            let q = Q::new().fuzzy("username", value).build();
            assert_eq!(harbor_unescape(&q), format!("username=~{value}"), "{q}");
        }
    }
}
