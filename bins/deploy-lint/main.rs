//! `deploy-lint`: checks a team's written deploy standards across every worker of a
//! repository, offline, as a CI step and in the release runbook.

use std::process::ExitCode;

use bulwark_cli::deploy_lint::Cli;
use bulwark_config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let out = bulwark_cli::start(
        "deploy-lint",
        cli.common.output_options(cli.format.format.into()),
    );
    let config = match Config::load_or_discover(cli.common.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return out.fail(&err),
    };
    // BULWARK_TODAY (YYYY-MM-DD) pins the date compatibility_date_max_age_days counts
    // from, for replaying an old run; otherwise today in UTC.
    let today = std::env::var("BULWARK_TODAY")
        .ok()
        .and_then(|day| day.parse().ok())
        .unwrap_or_else(|| {
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        });
    match bulwark_lint::lint_repository(&config, &cli.request(today)) {
        Ok(report) => {
            if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
                out.annotate(&report.github_annotations());
            }
            out.finish(&report)
        }
        Err(err) => out.fail(&err),
    }
}
