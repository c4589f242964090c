fn main() -> std::process::ExitCode {
    trangtin::cli::main()
}
