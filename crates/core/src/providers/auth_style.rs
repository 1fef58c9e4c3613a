use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SpecError;

/// How a request authenticates. Written `bearer`, `none` or `header:NAME` in the catalog, and
/// parsed once when the catalog loads, so a misspelt style is a load error naming the provider
/// rather than a failure on the first request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum AuthStyle {
    #[default]
    Bearer,
    /// The key as the whole value of this header (lowercase name).
    Header(String),
    None,
}

impl AuthStyle {
    pub fn parse(s: &str) -> Result<AuthStyle, SpecError> {
        match s {
            "bearer" => Ok(AuthStyle::Bearer),
            "none" => Ok(AuthStyle::None),
            other => match other.strip_prefix("header:").map(str::trim) {
                Some(h) if is_header_name(h) => Ok(AuthStyle::Header(h.to_ascii_lowercase())),
                _ => Err(SpecError::Auth(other.to_string())),
            },
        }
    }

    /// Whether requests carry a credential at all.
    pub fn needs_key(&self) -> bool {
        !matches!(self, AuthStyle::None)
    }
}

/// An HTTP token (RFC 9110): what a header name may be made of.
fn is_header_name(h: &str) -> bool {
    !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl fmt::Display for AuthStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthStyle::Bearer => f.write_str("bearer"),
            AuthStyle::Header(h) => write!(f, "header:{h}"),
            AuthStyle::None => f.write_str("none"),
        }
    }
}

impl Serialize for AuthStyle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AuthStyle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AuthStyle::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_styles_and_rejects_others() {
        assert_eq!(AuthStyle::parse("bearer"), Ok(AuthStyle::Bearer));
        assert_eq!(AuthStyle::parse("none"), Ok(AuthStyle::None));
        assert_eq!(AuthStyle::parse("header:X-Api-Key"), Ok(AuthStyle::Header("x-api-key".into())));
        assert!(AuthStyle::parse("header:").is_err());
        assert!(AuthStyle::parse("header:bad name").is_err());
        assert!(AuthStyle::parse("Bearer").is_err());
        assert_eq!(AuthStyle::Header("api-key".into()).to_string(), "header:api-key");
    }
}
