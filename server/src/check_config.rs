//! `berth check-config [--probe]`: the configuration's problems, or where each value comes from.
use app::server::config::{check, Config, ConfigError, Layers};
use std::process::ExitCode;

/// Prints every problem of the configuration on its own line (exit 1), or where each
/// set value comes from (exit 0); with `--probe`, also whether the identity provider,
/// Harbor and Kubernetes answer.
pub async fn check_config(config_file: Option<std::path::PathBuf>, probe: bool) -> ExitCode {
    let layers = match Layers::load(|key| std::env::var(key).ok(), config_file) {
        Ok(layers) => layers,
        Err(problems) => return report_problems(&problems),
    };
    let config = match Config::from_lookup(|key| layers.get(key)) {
        Ok(config) => config,
        Err(problems) => return report_problems(&problems),
    };
    for (setting, origin) in layers.origins() {
        println!("set: {setting} from {origin}");
    }
    println!("configuration: ok");
    if !probe {
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    for probe in check::probe(&config).await {
        match probe.result {
            Ok(detail) => println!("reachable: {}: {detail}", probe.what),
            Err(problem) => {
                failed = true;
                println!("problem: {}: {problem}", probe.what);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn report_problems(problems: &[ConfigError]) -> ExitCode {
    for problem in problems {
        println!("problem: {problem}");
    }
    ExitCode::from(1)
}
