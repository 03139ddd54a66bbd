//! `berth`: serves the portal (default), checks a configuration (`berth check-config`),
//! or prints the Team CRD (`berth crd`) or the settings (`berth settings`). `--config
//! FILE` names a config file.
use app::server::{cluster::crd::crd_yaml, config::SETTINGS};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod check_config;
mod logging;
mod router;
mod serve;
#[cfg(feature = "otel")]
mod telemetry;

/// A page allocates and frees many small buffers across Tokio's worker threads; glibc's malloc
/// locks its arenas between them, mimalloc's per-thread heaps do not (`make bench` measures the
/// time and the RSS; the README has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Self-service access to Harbor for the teams of a Kubernetes cluster.
#[derive(Debug, Parser)]
#[command(name = "berth", version)]
struct Cli {
    /// A YAML file of settings (else BERTH_CONFIG); the environment wins over it.
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the portal (what `berth` alone does).
    Serve,
    /// Print every problem of the configuration (exit 1), or where each set value comes from.
    CheckConfig {
        /// Also ask whether the identity provider, Harbor and Kubernetes answer.
        #[arg(long)]
        probe: bool,
    },
    /// Print the Team CustomResourceDefinition.
    Crd,
    /// Print every setting: name, default and meaning, tab-separated.
    Settings,
}

/// Leptos renders a page as one deeply nested future; some (a refused `/admin/health`) need more
/// stack than the 2 MiB tokio gives its worker threads by default, and a thread that runs out
/// aborts the whole process. Every thread of the runtime gets the main thread's 8 MiB.
const THREAD_STACK: usize = 8 * 1024 * 1024;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("berth: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    // A usage error exits 2 with clap's message; --help and --version exit 0.
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => match serve::serve(cli.config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("berth: {message}");
                ExitCode::from(2)
            }
        },
        Command::CheckConfig { probe } => check_config::check_config(cli.config, probe).await,
        Command::Crd => {
            print!("{}", crd_yaml());
            ExitCode::SUCCESS
        }
        Command::Settings => {
            for setting in SETTINGS {
                let (name, help) = (setting.name(), setting.help());
                println!("{name}\t{}\t{help}", setting.shown_default());
            }
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("berth").chain(args.iter().copied()))
    }

    #[test]
    fn the_arguments_are_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn every_invocation_of_before_parses_alike() {
        let file = Some(PathBuf::from("f.yaml"));
        for (args, command, config) in [
            (&[][..], None, None),
            (&["serve"][..], Some("serve"), None),
            (&["--config", "f.yaml"][..], None, file.clone()),
            (
                &["--config=f.yaml", "serve"][..],
                Some("serve"),
                file.clone(),
            ),
            (
                &["serve", "--config", "f.yaml"][..],
                Some("serve"),
                file.clone(),
            ),
            (&["check-config"][..], Some("check-config"), None),
            (
                &["--config", "f.yaml", "check-config"][..],
                Some("check-config"),
                file.clone(),
            ),
            (
                &["check-config", "--config", "f.yaml", "--probe"][..],
                Some("check-probe"),
                file.clone(),
            ),
            (
                &["check-config", "--probe", "--config=f.yaml"][..],
                Some("check-probe"),
                file.clone(),
            ),
            (&["crd"][..], Some("crd"), None),
            (&["settings"][..], Some("settings"), None),
        ] {
            let cli = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let parsed = cli.command.map(|c| match c {
                Command::Serve => "serve",
                Command::CheckConfig { probe: false } => "check-config",
                Command::CheckConfig { probe: true } => "check-probe",
                Command::Crd => "crd",
                Command::Settings => "settings",
            });
            assert_eq!(parsed, command, "{args:?}");
            assert_eq!(cli.config, config, "{args:?}");
        }
    }

    #[test]
    fn what_was_refused_is_refused_with_exit_2() {
        for args in [
            &["crd", "--probe"][..],
            &["--probe"][..],
            &["serve", "--probe"][..],
            &["check-config", "extra"][..],
            &["--config"][..],
            &["deploy"][..],
            &["crd", "settings"][..],
        ] {
            let error = match parse(args) {
                Ok(cli) => panic!("{args:?} was accepted as {cli:?}"),
                Err(error) => error,
            };
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }
}
