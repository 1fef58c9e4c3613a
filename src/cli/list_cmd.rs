use std::process::ExitCode;

use super::args::{GlobalArgs, ListArgs};
use super::console::outln;
use super::selection::{providers_with_fixtures, select};
use crate::runner::Plan;

pub fn run(global: &GlobalArgs, args: ListArgs) -> anyhow::Result<ExitCode> {
    let sel = select(global, &args.filter)?;
    let providers = if args.filter.providers.is_empty() {
        providers_with_fixtures(&sel.fixtures, &sel.catalog).unwrap_or_default()
    } else {
        args.filter.providers.clone()
    };
    let plan = Plan::build(&sel.suites, &providers, &sel.filters, None)?;
    let mut scenarios = 0;
    for s in &sel.suites {
        if !sel.filters.suites.is_empty() && !sel.filters.suites.contains(&s.name) {
            continue;
        }
        outln!("{} ({} scenarios) — {}", s.name, s.scenarios.len(), s.description);
        for sc in &s.scenarios {
            scenarios += 1;
            let modes: Vec<&str> = sc.modes.iter().map(|m| m.as_str()).collect();
            let only =
                if sc.providers.is_empty() { String::new() } else { format!(" only:{}", sc.providers.join(",")) };
            outln!("  {:<40} [{}] {}{}", sc.id, modes.join(","), sc.tags.join(","), only);
        }
    }
    outln!(
        "\n{} suites, {} scenarios; providers: {}; matrix: {} cases",
        sel.suites.len(),
        scenarios,
        if providers.is_empty() { "none".to_string() } else { providers.join(", ") },
        plan.case_count()
    );
    Ok(ExitCode::SUCCESS)
}
