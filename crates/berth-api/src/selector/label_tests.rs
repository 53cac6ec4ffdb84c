//! Tests for [`LabelSelector`] and [`Requirement`]: matching, checks and printing.

use super::*;
use serde_json::json;

fn labels(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn req(key: &str, op: Operator, values: &[&str]) -> Requirement {
    Requirement::new(key, op, values.iter().copied()).expect("valid requirement")
}

#[test]
fn each_operator_matches_present_and_absent_labels() {
    use Operator::*;
    let set = labels(json!({"a": "x", "n": "5", "s": "five"}));
    let cases: &[(Requirement, bool)] = &[
        (req("a", Equals, &["x"]), true),
        (req("a", Equals, &["y"]), false),
        (req("b", Equals, &["x"]), false),
        (req("b", Equals, &[""]), false),
        (req("a", DoubleEquals, &["x"]), true),
        (req("a", NotEquals, &["x"]), false),
        (req("a", NotEquals, &["y"]), true),
        (req("b", NotEquals, &["x"]), true),
        (req("a", In, &["x", "y"]), true),
        (req("a", In, &["y", "z"]), false),
        (req("b", In, &["x"]), false),
        (req("a", NotIn, &["x"]), false),
        (req("a", NotIn, &["y"]), true),
        (req("b", NotIn, &["x"]), true),
        (req("a", Exists, &[]), true),
        (req("b", Exists, &[]), false),
        (req("a", DoesNotExist, &[]), false),
        (req("b", DoesNotExist, &[]), true),
        (req("n", GreaterThan, &["4"]), true),
        (req("n", GreaterThan, &["5"]), false),
        (req("n", LessThan, &["6"]), true),
        (req("n", LessThan, &["5"]), false),
        (req("s", GreaterThan, &["1"]), false),
        (req("b", LessThan, &["1"]), false),
    ];
    for (r, want) in cases {
        assert_eq!(r.matches(&set), *want, "{r}");
    }
}

#[test]
fn null_label_counts_as_absent_and_other_scalars_by_text() {
    let set = labels(json!({"gone": null, "num": 3, "flag": true}));
    assert!(req("gone", Operator::DoesNotExist, &[]).matches(&set));
    assert!(req("num", Operator::Equals, &["3"]).matches(&set));
    assert!(req("flag", Operator::In, &["true"]).matches(&set));
}

#[test]
fn requirement_checks_value_counts() {
    use Operator::*;
    let none: &[&str] = &[];
    let cases: &[(Operator, &[&str], bool)] = &[
        (In, none, false),
        (NotIn, &["a", "b"], true),
        (Equals, &["a", "b"], false),
        (NotEquals, none, false),
        (Exists, &["a"], false),
        (DoesNotExist, none, true),
        (GreaterThan, &["1", "2"], false),
        (GreaterThan, &["x"], false),
        (LessThan, &["10"], true),
    ];
    for (op, values, ok) in cases {
        let got = Requirement::new("k", *op, values.iter().copied());
        assert_eq!(got.is_ok(), *ok, "{op:?} {values:?}: {got:?}");
    }
    let err = Requirement::new("k", In, none.iter().copied()).expect_err("no values");
    assert_eq!(
        err,
        SelectorError::InvalidLabelSelector {
            selector: "k in ()".into(),
            reason: r#"key "k": operator in takes at least one value"#.into(),
        }
    );
}

#[test]
fn everything_nothing_and_objects() {
    let pod = json!({"metadata": {"labels": {"app": "web"}}});
    let bare = json!({"metadata": {"name": "p"}});
    assert!(LabelSelector::everything().matches_object(&pod));
    assert!(LabelSelector::everything().matches_object(&bare));
    assert!(LabelSelector::everything().is_everything());
    assert!(!LabelSelector::nothing().matches_object(&pod));
    assert!(!LabelSelector::nothing().is_everything());
    assert!(LabelSelector::nothing().is_nothing());
    let absent = LabelSelector::from_requirements(vec![req("app", Operator::NotIn, &["x"])]);
    assert!(absent.matches_object(&bare));
    assert!(absent.matches_object(&json!("not an object")));
    let all = LabelSelector::from_requirements(vec![
        req("app", Operator::Equals, &["web"]),
        req("tier", Operator::DoesNotExist, &[]),
    ]);
    assert!(all.matches_object(&pod));
    assert!(!all.matches_object(&json!({"metadata": {"labels": {"app": "web", "tier": "x"}}})));
}

#[test]
fn display_sorts_keys_and_values() {
    let s = LabelSelector::from_requirements(vec![
        req("z", Operator::NotIn, &["c", "a", "b", "a"]),
        req("b", Operator::DoesNotExist, &[]),
        req("a", Operator::GreaterThan, &["3"]),
        req("c", Operator::In, &["", "x"]),
        req("d", Operator::Equals, &[""]),
    ]);
    assert_eq!(s.to_string(), "a>3,!b,c in (,x),d=,z notin (a,b,c)");
    assert_eq!(LabelSelector::nothing().to_string(), "");
}

#[test]
fn exact_match() {
    let s = LabelSelector::from_requirements(vec![
        req("a", Operator::In, &["x"]),
        req("b", Operator::In, &["x", "y"]),
        req("c", Operator::DoubleEquals, &["z"]),
        req("d", Operator::NotEquals, &["z"]),
    ]);
    assert_eq!(s.requires_exact_match("a"), Some("x"));
    assert_eq!(s.requires_exact_match("b"), None);
    assert_eq!(s.requires_exact_match("c"), Some("z"));
    assert_eq!(s.requires_exact_match("d"), None);
    assert_eq!(s.requires_exact_match("e"), None);
}
