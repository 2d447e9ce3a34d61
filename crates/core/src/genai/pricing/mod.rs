//! Cost of a call from its token usage and a pricing table: the table bundled with the
//! crate (`data/model-prices.json`), optionally overridden and extended by a user file.
//!
//! A model missing from the table gets no cost at all, never a made-up zero.

mod model_id;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use serde::Deserialize;

use super::call::TokenUsage;
use super::semconv::{cost_source, env};
use crate::error::{ConfigError, ConfigProblem};

pub use model_id::ModelId;

/// Prices of one model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct ModelPrice {
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens (reasoning tokens are billed as output).
    #[serde(default)]
    pub output: f64,
    /// Input tokens read from a prompt cache; the input price when absent.
    #[serde(default)]
    pub cache_read: Option<f64>,
    /// Input tokens written to a prompt cache; the input price when absent.
    #[serde(default)]
    pub cache_creation: Option<f64>,
}

/// Where a price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceOrigin {
    /// The table bundled with the crate.
    Bundled,
    /// A user pricing file.
    User,
}

impl PriceOrigin {
    /// The `genai_telemetry.cost.source` value.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceOrigin::Bundled => cost_source::PRICING_TABLE,
            PriceOrigin::User => cost_source::USER_PRICING,
        }
    }
}

/// The cost of one call, in USD, split by kind of token.
#[derive(Debug, Clone, PartialEq)]
pub struct CostBreakdown {
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Cache reads.
    pub cache_read: f64,
    /// Cache writes.
    pub cache_creation: f64,
    /// The sum of the parts.
    pub total: f64,
    /// The pricing-table key the model matched.
    pub matched_model: String,
    /// Where the price came from.
    pub origin: PriceOrigin,
}

/// A pricing table: normalised model id → price.
#[derive(Debug, Clone, Default)]
pub struct PricingTable {
    models: HashMap<String, (ModelPrice, PriceOrigin)>,
}

/// The bundled table, parsed once per process.
static BUNDLED: LazyLock<Arc<PricingTable>> = LazyLock::new(|| {
    let table = PricingTable::parse(
        include_str!("../../../data/model-prices.json"),
        PriceOrigin::Bundled,
    )
    // The file is part of the crate and checked by a unit test; an empty table here
    // only means "no costs", never a panic on a user's machine.
    .unwrap_or_default();
    Arc::new(table)
});

/// Our own file format: `{"models": {"gpt-4o": {"input": 2.5, "output": 10.0}}}`.
#[derive(Deserialize)]
struct OwnFormat {
    models: HashMap<String, ModelPrice>,
}

/// LiteLLM's `model_prices_and_context_window.json` entries (USD per token).
#[derive(Deserialize)]
struct LiteLlmEntry {
    input_cost_per_token: Option<f64>,
    output_cost_per_token: Option<f64>,
    cache_read_input_token_cost: Option<f64>,
    cache_creation_input_token_cost: Option<f64>,
}

impl PricingTable {
    /// The table bundled with the crate (shared, parsed once).
    pub fn bundled() -> Arc<PricingTable> {
        Arc::clone(&BUNDLED)
    }

    /// An empty table: no call gets a cost.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The bundled table, overridden and extended by the file named in
    /// `GENAI_PRICING_FILE` when that variable is set.
    pub fn from_env() -> Result<Arc<PricingTable>, ConfigError> {
        match std::env::var(env::PRICING_FILE) {
            Ok(path) if !path.trim().is_empty() => {
                let user = Self::load_file(Path::new(path.trim()))?;
                let mut table = (*Self::bundled()).clone();
                table.extend(user);
                Ok(Arc::new(table))
            }
            _ => Ok(Self::bundled()),
        }
    }

    /// Reads a user pricing file, in this crate's format (`{"models": {id: {input,
    /// output, cache_read, cache_creation}}}`, USD per million tokens) or in LiteLLM's
    /// `model_prices_and_context_window.json` format (USD per token).
    pub fn load_file(path: &Path) -> Result<PricingTable, ConfigError> {
        let problem = |what: String| ConfigError {
            problems: vec![ConfigProblem {
                variable: env::PRICING_FILE.to_owned(),
                problem: what,
                fix: "point it at a JSON file like crates/core/data/model-prices.json \
                      (USD per 1M tokens) or at LiteLLM's model_prices_and_context_window.json"
                    .to_owned(),
            }],
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| problem(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text, PriceOrigin::User)
            .map_err(|e| problem(format!("{} is not a pricing file: {e}", path.display())))
    }

    /// Parses a table in either supported format.
    pub fn parse(text: &str, origin: PriceOrigin) -> Result<PricingTable, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        let mut models = HashMap::new();
        if value
            .get("models")
            .is_some_and(serde_json::Value::is_object)
        {
            let own: OwnFormat = serde_json::from_value(value)?;
            for (id, price) in own.models {
                models.insert(id.trim().to_ascii_lowercase(), (price, origin));
            }
        } else if let serde_json::Value::Object(map) = value {
            for (id, entry) in map {
                // LiteLLM files hold many non-token entries (images, rerank, the sample
                // spec); keep the ones with a per-token input price.
                let Ok(entry) = serde_json::from_value::<LiteLlmEntry>(entry) else {
                    continue;
                };
                let Some(input) = entry.input_cost_per_token else {
                    continue;
                };
                let per_million = |v: f64| v * 1_000_000.0;
                let price = ModelPrice {
                    input: per_million(input),
                    output: entry.output_cost_per_token.map_or(0.0, per_million),
                    cache_read: entry.cache_read_input_token_cost.map(per_million),
                    cache_creation: entry.cache_creation_input_token_cost.map(per_million),
                };
                models.insert(id.trim().to_ascii_lowercase(), (price, origin));
            }
        } else {
            return Err(serde::de::Error::custom(
                "expected a JSON object with a \"models\" object, or a LiteLLM price map",
            ));
        }
        Ok(PricingTable { models })
    }

    /// Adds or replaces the prices in `other`.
    pub fn extend(&mut self, other: PricingTable) {
        self.models.extend(other.models);
    }

    /// Adds or replaces one price (for code-defined models).
    pub fn insert(&mut self, model: &str, price: ModelPrice, origin: PriceOrigin) {
        self.models
            .insert(model.trim().to_ascii_lowercase(), (price, origin));
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// True when the table has no models.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The price for `model`, trying its forms from the most to the least specific (see
    /// [`ModelId::candidates`]). Returns the matched key too.
    pub fn lookup(&self, model: &str) -> Option<(String, ModelPrice, PriceOrigin)> {
        ModelId::parse(model)
            .candidates()
            .into_iter()
            .find_map(|key| {
                self.models
                    .get(&key)
                    .map(|(price, origin)| (key.clone(), *price, *origin))
            })
    }

    /// The cost of a call to `model` with `usage`; `None` for an unknown model or when
    /// the usage has neither input nor output tokens.
    pub fn cost(&self, model: &str, usage: &TokenUsage) -> Option<CostBreakdown> {
        if usage.input_tokens.is_none() && usage.output_tokens.is_none() {
            return None;
        }
        let (matched_model, price, origin) = self.lookup(model)?;
        let per = |tokens: u64, usd_per_million: f64| tokens as f64 * usd_per_million / 1e6;
        let cache_read_tokens = usage.cache_read_input_tokens.unwrap_or(0);
        let cache_creation_tokens = usage.cache_creation_input_tokens.unwrap_or(0);
        let uncached = usage
            .input_tokens
            .unwrap_or(0)
            .saturating_sub(cache_read_tokens)
            .saturating_sub(cache_creation_tokens);
        let input = per(uncached, price.input);
        let cache_read = per(cache_read_tokens, price.cache_read.unwrap_or(price.input));
        let cache_creation = per(
            cache_creation_tokens,
            price.cache_creation.unwrap_or(price.input),
        );
        let output = per(usage.output_tokens.unwrap_or(0), price.output);
        Some(CostBreakdown {
            input,
            output,
            cache_read,
            cache_creation,
            total: input + output + cache_read + cache_creation,
            matched_model,
            origin,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn usage(input: u64, output: u64) -> TokenUsage {
        TokenUsage {
            input_tokens: Some(input),
            output_tokens: Some(output),
            ..TokenUsage::default()
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn the_bundled_table_parses_and_covers_every_family_the_issue_names() {
        let table = PricingTable::bundled();
        assert!(table.len() > 100, "only {} models", table.len());
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "text-embedding-3-small",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "amazon.nova-lite-v1:0",
            "amazon.titan-text-express-v1",
            "meta.llama3-1-70b-instruct-v1:0",
            "cohere.command-r-plus-v1:0",
            "mistral.mistral-large-2407-v1:0",
            "ai21.jamba-1-5-mini-v1:0",
        ] {
            assert!(table.lookup(model).is_some(), "no price for {model}");
        }
    }

    #[test]
    fn gpt_4o_costs_two_and_a_half_dollars_per_million_input_tokens() {
        let cost = PricingTable::bundled()
            .cost("gpt-4o", &usage(1_000_000, 0))
            .unwrap();
        assert!(close(cost.total, 2.5), "{cost:?}");
        assert_eq!(cost.origin, PriceOrigin::Bundled);
    }

    #[test]
    fn cross_region_prefixes_and_arns_find_the_same_price_as_the_plain_id() {
        let table = PricingTable::bundled();
        let plain = table
            .lookup("anthropic.claude-3-5-sonnet-20240620-v1:0")
            .unwrap();
        for form in [
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "apac.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "global.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "claude-3-5-sonnet-20240620",
        ] {
            assert_eq!(table.lookup(form).unwrap().1, plain.1, "{form}");
        }
    }

    #[test]
    fn a_dated_version_with_its_own_price_beats_the_family_price() {
        let table = PricingTable::bundled();
        let dated = table.lookup("gpt-4o-2024-05-13").unwrap();
        let family = table.lookup("gpt-4o").unwrap();
        assert_eq!(dated.0, "gpt-4o-2024-05-13");
        assert!(dated.1.input > family.1.input);
        // An unknown dated version falls back to its family.
        assert_eq!(table.lookup("gpt-4o-2031-01-01").unwrap().0, "gpt-4o");
    }

    #[test]
    fn an_unknown_model_has_no_cost_rather_than_zero() {
        assert!(
            PricingTable::bundled()
                .cost("my-private-finetune", &usage(10, 10))
                .is_none()
        );
    }

    #[test]
    fn usage_without_token_counts_has_no_cost() {
        assert!(
            PricingTable::bundled()
                .cost("gpt-4o", &TokenUsage::default())
                .is_none()
        );
    }

    #[test]
    fn cached_tokens_are_priced_at_the_cache_rates_and_not_twice() {
        // claude-3-5-sonnet: input 3, output 15, cache read 0.3, cache write 3.75 per 1M.
        let u = TokenUsage {
            input_tokens: Some(1_000_000 + 2_000_000 + 4_000_000),
            output_tokens: Some(1_000_000),
            cache_read_input_tokens: Some(2_000_000),
            cache_creation_input_tokens: Some(4_000_000),
            reasoning_output_tokens: None,
        };
        let c = PricingTable::bundled()
            .cost("us.anthropic.claude-3-5-sonnet-20241022-v2:0", &u)
            .unwrap();
        assert!(close(c.input, 3.0), "{c:?}");
        assert!(close(c.cache_read, 0.6), "{c:?}");
        assert!(close(c.cache_creation, 15.0), "{c:?}");
        assert!(close(c.output, 15.0), "{c:?}");
        assert!(close(c.total, 33.6), "{c:?}");
    }

    #[test]
    fn a_user_file_overrides_bundled_prices_and_adds_models() {
        let user = PricingTable::parse(
            r#"{"models": {"gpt-4o": {"input": 1.0, "output": 2.0}, "acme-llm": {"input": 7.0}}}"#,
            PriceOrigin::User,
        )
        .unwrap();
        let mut table = (*PricingTable::bundled()).clone();
        table.extend(user);
        let c = table.cost("gpt-4o", &usage(1_000_000, 1_000_000)).unwrap();
        assert!(close(c.total, 3.0));
        assert_eq!(c.origin, PriceOrigin::User);
        assert!(table.lookup("acme-llm").is_some());
    }

    #[test]
    fn a_litellm_price_map_is_accepted_as_a_user_file() {
        let table = PricingTable::parse(
            r#"{"sample_spec": {"mode": "chat"},
                "us.acme.model-v1:0": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                                       "cache_read_input_token_cost": 1e-07},
                "image-model": {"output_cost_per_image": 0.04}}"#,
            PriceOrigin::User,
        )
        .unwrap();
        assert_eq!(table.len(), 1);
        let (_, price, _) = table.lookup("us.acme.model-v1:0").unwrap();
        assert!(close(price.input, 1.0) && close(price.output, 2.0));
        assert_eq!(price.cache_read.map(|p| (p * 1e6).round() / 1e6), Some(0.1));
    }

    #[test]
    fn an_unreadable_pricing_file_is_a_config_error_naming_the_variable() {
        let err = PricingTable::load_file(Path::new("/nonexistent/prices.json")).unwrap_err();
        assert!(err.names(env::PRICING_FILE), "{err}");
    }
}
