use std::process::ExitCode;

fn main() -> ExitCode {
    ridechat_server::cli::main()
}
