//! `--json` against its documented schema: real output of `run`,
//! `compare` and `plan`, including a run that lost paintings, checked
//! against `docs/report.schema.json` by a JSON Schema validator.

use serde_json::Value;

use crate::support::{args, coordinator, finish, out_dir, run, serial, start};

/// The schema, compiled as draft 2020-12.
pub fn validator() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report.schema.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{path} is not a valid schema: {e}"))
}

/// Fails, naming every place where `output` breaks the schema.
#[track_caller]
pub fn assert_valid(validator: &jsonschema::Validator, what: &str, output: &Value) {
    let errors: Vec<String> =
        validator.iter_errors(output).map(|e| format!("  at {}: {e}", e.instance_path())).take(20).collect();
    assert!(
        errors.is_empty(),
        "{what}: the output does not match docs/report.schema.json (a field added, renamed or retyped? \
         update the schema and docs/json.md with it):\n{}",
        errors.join("\n")
    );
}

#[test]
fn run_compare_and_plan_output_match_the_schema() {
    let validator = validator();
    let _serial = serial();
    let out = out_dir("schema");
    for line in [
        "run --mode threads --paintings 3 --coats 2 --paint 20ms --dry 20ms --json",
        "run --mode hybrid --paintings 3 --paint 0ms --dry 0ms --json",
        "compare --paintings 2 --paint 10ms --dry 10ms --json",
        "--paintings 2 --paint 10ms --dry 10ms --modes async,parallel --pin none --json",
        "plan --coats 2 --json",
    ] {
        let report = run(&args(line, &out)).json();
        assert_eq!(report["schema_version"], 3, "{line}");
        assert_valid(&validator, line, &report);
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_run_with_failures_and_lost_paintings_matches_the_schema() {
    let validator = validator();
    let _serial = serial();
    let out = out_dir("schema-lost");
    let line = "run --mode parallel --paintings 2 --painters 2 --paint 20ms --dry 0ms --retries 0 --json";
    let args = args(line, &out);
    let mut command = coordinator(&args);
    command.env("ATELIER_PAINTER_FAULT", "exit");
    let finished = finish(start(command), &args);
    if finished.status.code() != Some(1) {
        finished.fail("a lost painting should end the run with status 1");
    }
    let report: Value =
        serde_json::from_str(&finished.stdout).unwrap_or_else(|e| finished.fail(&format!("stdout is not JSON: {e}")));
    assert!(!report["lost"].as_array().is_none_or(Vec::is_empty), "a painting was lost: {report}");
    let failed = &report["painters"][0]["exit"];
    assert!(failed["code"].as_i64().is_some_and(|code| code != 0), "the failed painter's exit as data: {failed}");
    assert_valid(&validator, line, &report);
    let _ = std::fs::remove_dir_all(out);
}

/// Every property name anywhere in `schema`.
fn property_names(schema: &Value, names: &mut std::collections::BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                names.extend(properties.keys().cloned());
            }
            map.values().for_each(|value| property_names(value, names));
        }
        Value::Array(values) => values.iter().for_each(|value| property_names(value, names)),
        _ => {}
    }
}

#[test]
fn every_field_of_the_schema_is_explained_in_json_md() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&read("docs/report.schema.json")).expect("the schema is JSON");
    let doc = read("docs/json.md");
    let mut names = std::collections::BTreeSet::new();
    property_names(&schema, &mut names);
    // A field is named in backquotes, alone (`wall_s`, `segments[]`) or in a
    // list of them (`{t_s, cpu}`).
    let named = |name: &str| {
        doc.contains(&format!("`{name}`"))
            || doc.contains(&format!("`{name}[]`"))
            || [("{", ","), ("{", "}"), (" ", ","), (" ", "}")]
                .iter()
                .any(|(before, after)| doc.contains(&format!("{before}{name}{after}")))
    };
    let missing: Vec<&String> = names.iter().filter(|name| !named(name)).collect();
    assert!(missing.is_empty(), "docs/json.md does not explain these fields of docs/report.schema.json: {missing:?}");
}

#[test]
fn the_schema_refuses_a_field_it_does_not_document() {
    let validator = validator();
    let out = out_dir("schema-strict");
    let report = run(&args("plan --json", &out)).json();
    assert_valid(&validator, "plan", &report);
    // The old name of `threads`: a renamed or undocumented field is caught.
    let mut renamed = report.clone();
    renamed["modes"][0]["lanes"] = renamed["modes"][0]["threads"].take();
    if let Some(mode) = renamed["modes"][0].as_object_mut() {
        mode.remove("threads");
    }
    assert!(!validator.is_valid(&renamed), "the schema accepted `lanes` in place of `threads`");
    let mut counted_from_0 = report;
    counted_from_0["modes"][0]["segments"][0]["coat"] = 0.into();
    assert!(!validator.is_valid(&counted_from_0), "the schema accepted a coat counted from 0");
    let _ = std::fs::remove_dir_all(out);
}
