//! The `retake` binary: parses flags, runs one command, maps errors to
//! exit codes. The work is in retake-core and retake-media.

mod args;
mod commands;
mod context;
mod progress;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    context::init_logging(&cli.global);
    let code = match commands::run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("retake: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
