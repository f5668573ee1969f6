//! The `vytal-host` command: parse arguments, set up logging, call the library, pick the exit code.

mod commands;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before anything reads the environment; a broken file stops here, named.
    let dotenv = match commands::load_dotenv() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = commands::Cli::parse();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let filter = tracing_subscriber::EnvFilter::try_from_env("VYTAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(color).init();
    if let Some(path) = dotenv {
        tracing::info!(path = %path.display(), "read .env");
    }

    // One thread: a command works on one connection, one step at a time, and
    // a worker thread would only add a hop to every round trip (measured:
    // 2-3 ms on a run with nothing to do). CPU-bound plugin work still runs
    // beside I/O: a guest yields to this runtime at every epoch tick.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let json = cli.global.json;
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if json {
                commands::out_json_error(&e, 2);
            }
            ExitCode::from(2)
        }
    }
}
