//! Label selectors and node selector terms, flattened from the API types into vectors that the
//! filters match against a label map without allocating.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as ApiSelector;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
    /// An operator we do not know: matches nothing.
    Unknown,
}

impl Op {
    fn parse(text: &str) -> Op {
        match text {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            _ => Op::Unknown,
        }
    }
}

/// One requirement: `key op values`.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

impl Requirement {
    pub fn new(key: &str, op: &str, values: &[&str]) -> Requirement {
        Requirement {
            key: key.to_owned(),
            op: Op::parse(op),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    /// Whether a value (None when the key is absent) satisfies the requirement.
    pub fn matches(&self, value: Option<&str>) -> bool {
        let number = |text: &str| text.parse::<i64>().ok();
        match self.op {
            Op::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Op::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
            Op::Gt | Op::Lt => {
                let (Some(have), Some(bound)) =
                    (value.and_then(number), self.values.first().and_then(|b| number(b)))
                else {
                    return false;
                };
                if self.op == Op::Gt { have > bound } else { have < bound }
            }
            Op::Unknown => false,
        }
    }

    fn from_node(requirement: &NodeSelectorRequirement) -> Requirement {
        Requirement {
            key: requirement.key.clone(),
            op: Op::parse(&requirement.operator),
            values: requirement.values.clone().unwrap_or_default(),
        }
    }
}

/// A `metav1.LabelSelector`. `None` in the API means "matches nothing" for affinity terms;
/// an empty selector matches everything.
#[derive(Debug, Clone, Default)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
    pub nothing: bool,
}

impl LabelSelector {
    pub fn nothing() -> LabelSelector {
        LabelSelector { requirements: Vec::new(), nothing: true }
    }

    pub fn from_api(selector: &ApiSelector) -> LabelSelector {
        let mut requirements: Vec<Requirement> = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| Requirement { key: k.clone(), op: Op::In, values: vec![v.clone()] })
            .collect();
        for expression in selector.match_expressions.iter().flatten() {
            requirements.push(Requirement {
                key: expression.key.clone(),
                op: Op::parse(&expression.operator),
                values: expression.values.clone().unwrap_or_default(),
            });
        }
        LabelSelector { requirements, nothing: false }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.nothing
            && self.requirements.iter().all(|r| r.matches(labels.get(&r.key).map(String::as_str)))
    }
}

/// One node selector term: every expression on labels and every field requirement must hold.
/// A term with neither matches no node.
#[derive(Debug, Clone, Default)]
pub struct NodeTerm {
    pub expressions: Vec<Requirement>,
    /// Only `metadata.name` is a valid field.
    pub fields: Vec<Requirement>,
}

impl NodeTerm {
    pub fn from_api(term: &NodeSelectorTerm) -> NodeTerm {
        NodeTerm {
            expressions: term
                .match_expressions
                .iter()
                .flatten()
                .map(Requirement::from_node)
                .collect(),
            fields: term.match_fields.iter().flatten().map(Requirement::from_node).collect(),
        }
    }

    pub fn matches(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        if self.expressions.is_empty() && self.fields.is_empty() {
            return false;
        }
        self.expressions.iter().all(|r| r.matches(labels.get(&r.key).map(String::as_str)))
            && self.fields.iter().all(|r| r.key == "metadata.name" && r.matches(Some(name)))
    }
}

/// Terms are ORed.
pub fn any_term_matches(terms: &[NodeTerm], name: &str, labels: &BTreeMap<String, String>) -> bool {
    terms.iter().any(|t| t.matches(name, labels))
}
