//! `dsmbox`: the appliance binary. Only wiring lives here; see the `firmware` crate docs.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    firmware::cli::main(std::env::args_os())
}
