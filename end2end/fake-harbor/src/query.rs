//! Harbor's `q` list filter as Harbor reads it (src/lib/q/builder.go): the web framework has
//! decoded the query string once, then Harbor unescapes `q` once more (Go's `url.QueryUnescape`:
//! `+` is a space, `%XX` a byte; text it cannot unescape is kept as it came), splits it on `,` and
//! wants `key=value` items with both sides non-empty. A value `~x` is a substring match; any other
//! value is matched as text, exactly. Keys that are no field of the listed model are ignored
//! (src/lib/orm/query.go).

/// How one item of `q` compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    Exact(String),
    Fuzzy(String),
}

impl Match {
    pub fn accepts(&self, field: &str) -> bool {
        match self {
            Match::Exact(v) => field == v,
            Match::Fuzzy(v) => field.to_lowercase().contains(&v.to_lowercase()),
        }
    }

    pub fn exact(&self) -> Option<&str> {
        match self {
            Match::Exact(v) => Some(v),
            Match::Fuzzy(_) => None,
        }
    }
}

/// The items of `q` in order, or Harbor's 400 message.
pub fn parse(q: Option<&str>) -> Result<Vec<(String, Match)>, &'static str> {
    let Some(q) = q.filter(|q| !q.is_empty()) else {
        return Ok(Vec::new());
    };
    let q = query_unescape(q).unwrap_or_else(|| q.to_owned());
    q.split(',')
        .map(|item| {
            let (key, value) = item
                .split_once('=')
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or(r#"the query string must contain "=" and the key/value cannot be empty"#)?;
            let value = match value.strip_prefix('~') {
                Some(part) => Match::Fuzzy(part.to_owned()),
                None => Match::Exact(value.strip_prefix('\\').unwrap_or(value).to_owned()),
            };
            Ok((key.to_owned(), value))
        })
        .collect()
}

/// Go's `url.QueryUnescape`; `None` where Go answers an error (a `%` not
/// followed by two hex digits).
pub fn query_unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_is_unescaped_once_more_so_a_plus_is_a_space() {
        // What a client sends as q=name%3D~team-a%2B arrives here as "name=~team-a+": a space.
        assert_eq!(
            parse(Some("name=~team-a+")).unwrap(),
            vec![("name".into(), Match::Fuzzy("team-a ".into()))]
        );
        // Escaped once more by the client (%252B on the wire), it is the plus it meant.
        assert_eq!(
            parse(Some("name=~team-a%2B")).unwrap(),
            vec![("name".into(), Match::Fuzzy("team-a+".into()))]
        );
        // A stray % cannot be unescaped: Harbor keeps the text as it came.
        assert_eq!(
            parse(Some("name=~50%")).unwrap(),
            vec![("name".into(), Match::Fuzzy("50%".into()))]
        );
    }

    #[test]
    fn items_need_a_key_and_a_value() {
        assert!(parse(Some("Level=project,ProjectID")).is_err());
        assert!(parse(Some("=x")).is_err());
        assert_eq!(
            parse(Some("Level=project,ProjectID=3")).unwrap(),
            vec![
                ("Level".into(), Match::Exact("project".into())),
                ("ProjectID".into(), Match::Exact("3".into()))
            ]
        );
        assert_eq!(parse(None).unwrap(), vec![]);
    }
}
