fn main() -> std::process::ExitCode {
    llm_conform::cli::main()
}
