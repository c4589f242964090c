// mimalloc: the cached path allocates a little per request (header maps, TLS records,
// hyper's buffers), across two worker threads; glibc's malloc took about a tenth of
// the CPU there (bench/run.sh, perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trangtin::cli::main()
}
