//! Model ids in the forms they reach us: plain (`gpt-4o`), dated (`gpt-4o-2024-08-06`),
//! routed (`openai/gpt-4o`), Bedrock (`us.anthropic.claude-3-5-sonnet-20241022-v2:0`),
//! ARNs (`arn:aws:bedrock:…:inference-profile/eu.amazon.nova-lite-v1:0`), Vertex
//! (`claude-3-5-sonnet@20240620`).

/// Bedrock cross-region inference-profile prefixes.
const REGION_PREFIXES: &[&str] = &["us-gov", "us", "eu", "apac", "global", "jp", "au", "ca"];

/// Bedrock model vendors (the part before the first dot of a foundation-model id).
const VENDORS: &[&str] = &[
    "anthropic",
    "amazon",
    "meta",
    "cohere",
    "mistral",
    "ai21",
    "deepseek",
    "writer",
    "qwen",
    "openai",
    "stability",
    "twelvelabs",
];

/// A model id taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelId<'a> {
    /// The id as given.
    pub raw: &'a str,
    /// Cross-region prefix (`us`, `eu`, `apac`, `global`, …), when present.
    pub region: Option<&'a str>,
    /// Bedrock vendor (`anthropic`, `amazon`, `meta`, …), when present.
    pub vendor: Option<&'a str>,
    /// What remains: `claude-3-5-sonnet-20241022-v2:0`, `gpt-4o`, …
    pub name: &'a str,
}

impl<'a> ModelId<'a> {
    /// Takes `raw` apart. Never fails: an id in no known form is all `name`.
    pub fn parse(raw: &'a str) -> Self {
        let trimmed = raw.trim();
        // ARNs (`…:foundation-model/ID`, `…:inference-profile/ID`) and routing prefixes
        // (`openai/gpt-4o`, `bedrock/us.amazon.nova-lite-v1:0`): the id is the last segment.
        let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
        let (region, rest) = match last.split_once('.') {
            Some((head, tail))
                if REGION_PREFIXES.iter().any(|r| r.eq_ignore_ascii_case(head))
                    && tail.contains('.') =>
            {
                (Some(head), tail)
            }
            _ => (None, last),
        };
        let (vendor, name) = match rest.split_once('.') {
            Some((head, tail))
                if VENDORS.iter().any(|v| v.eq_ignore_ascii_case(head)) && !tail.is_empty() =>
            {
                (Some(head), tail)
            }
            _ => (None, rest),
        };
        ModelId {
            raw,
            region,
            vendor,
            name,
        }
    }

    /// Lookup keys from the most to the least specific, lower-cased and deduplicated:
    /// the id as given, the last path segment, without region, without vendor, without a
    /// Bedrock version suffix, without a Vertex `@version`, without a date suffix.
    pub fn candidates(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(8);
        let mut push = |s: &str| {
            let s = s.trim().to_ascii_lowercase();
            if !s.is_empty() && !out.contains(&s) {
                out.push(s);
            }
        };
        push(self.raw);
        let last = self.raw.trim().rsplit('/').next().unwrap_or(self.raw);
        push(last);
        if let Some(vendor) = self.vendor {
            push(&format!("{vendor}.{}", self.name));
        }
        push(self.name);
        let unversioned = strip_bedrock_version(self.name);
        push(unversioned);
        let unpinned = unversioned.split('@').next().unwrap_or(unversioned);
        push(unpinned);
        push(strip_date(unpinned));
        out
    }
}

/// `claude-3-5-sonnet-20241022-v2:0` → `claude-3-5-sonnet-20241022`,
/// `command-text-v14:7:4k` → `command-text`, `nova-lite-v1:0` → `nova-lite`.
fn strip_bedrock_version(name: &str) -> &str {
    let mut s = name;
    // Trailing `:N` and `:Nk` segments (version, context window).
    while let Some((head, tail)) = s.rsplit_once(':') {
        let digits = tail.strip_suffix('k').unwrap_or(tail);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            s = head;
        } else {
            break;
        }
    }
    // Trailing `-vN`.
    if let Some((head, tail)) = s.rsplit_once("-v")
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_digit())
    {
        s = head;
    }
    s
}

/// `gpt-4o-2024-08-06` → `gpt-4o`, `claude-3-5-sonnet-20241022` → `claude-3-5-sonnet`.
fn strip_date(name: &str) -> &str {
    let bytes = name.as_bytes();
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    // -YYYY-MM-DD
    if bytes.len() > 11 {
        let tail = &bytes[bytes.len() - 11..];
        if tail[0] == b'-'
            && all_digits(&tail[1..5])
            && tail[5] == b'-'
            && all_digits(&tail[6..8])
            && tail[8] == b'-'
            && all_digits(&tail[9..11])
        {
            return &name[..name.len() - 11];
        }
    }
    // -YYYYMMDD
    if bytes.len() > 9 {
        let tail = &bytes[bytes.len() - 9..];
        if tail[0] == b'-' && all_digits(&tail[1..]) && (tail[1] == b'2' || tail[1] == b'1') {
            return &name[..name.len() - 9];
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_region_prefix_and_vendor_are_split_off_a_bedrock_id() {
        let id = ModelId::parse("us.anthropic.claude-3-5-sonnet-20241022-v2:0");
        assert_eq!(id.region, Some("us"));
        assert_eq!(id.vendor, Some("anthropic"));
        assert_eq!(id.name, "claude-3-5-sonnet-20241022-v2:0");
    }

    #[test]
    fn an_inference_profile_arn_yields_the_model_behind_it() {
        let id = ModelId::parse(
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0",
        );
        assert_eq!(id.region, Some("eu"));
        assert_eq!(id.vendor, Some("amazon"));
        assert_eq!(id.name, "nova-lite-v1:0");
    }

    #[test]
    fn a_plain_openai_id_has_no_region_or_vendor() {
        let id = ModelId::parse("gpt-4.1-mini");
        assert_eq!(id.region, None);
        assert_eq!(id.vendor, None);
        assert_eq!(id.name, "gpt-4.1-mini");
    }

    #[test]
    fn candidates_go_from_exact_to_undated() {
        let c = ModelId::parse("global.anthropic.claude-sonnet-4-5-20250929-v1:0").candidates();
        assert_eq!(
            c,
            vec![
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
                "claude-sonnet-4-5-20250929-v1:0",
                "claude-sonnet-4-5-20250929",
                "claude-sonnet-4-5",
            ]
        );
    }

    #[test]
    fn provisioned_context_suffixes_and_vertex_versions_are_stripped() {
        let c = ModelId::parse("cohere.command-text-v14:7:4k").candidates();
        assert!(c.contains(&"command-text".to_owned()), "{c:?}");
        let c = ModelId::parse("claude-3-5-sonnet@20240620").candidates();
        assert!(c.contains(&"claude-3-5-sonnet".to_owned()), "{c:?}");
        let c = ModelId::parse("openai/gpt-4o-2024-08-06").candidates();
        assert_eq!(c.last().map(String::as_str), Some("gpt-4o"));
    }

    #[test]
    fn a_fine_tuned_id_is_not_mangled_into_its_base_model() {
        let c = ModelId::parse("ft:gpt-4o-mini-2024-07-18:acme::abc123").candidates();
        assert!(!c.contains(&"gpt-4o-mini".to_owned()), "{c:?}");
    }
}
