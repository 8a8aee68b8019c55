//! The `fedcheck` binary: everything that knows argv and the environment lives in `cli/`, which resolves them into
//! library settings, runs the subcommand and maps its outcome to an exit code (0 pass, 1 fail, 2 unusable input or
//! arguments, 3 verification engines disagree). See `fedcheck::` (src/lib.rs) for the pipeline itself.

// Parsing a token allocates many small strings; mimalloc makes the fast path (--engines fedcheck) about a
// fifth faster than glibc malloc on the benchmark (benches/verify.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
