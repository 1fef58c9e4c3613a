//! The `llm-conform` binary. Its allocator is jemalloc rather than the system's: a run holds
//! every row until its reports are written while many short-lived buffers (bodies, decoded
//! chunks) come and go on several threads, and glibc's per-thread arenas kept those freed
//! pieces resident (16× matrix: 81.7 MB peak with glibc, 66 MB with jemalloc; docs/performance.md).

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at its start: freed pages go back to the system after about a
/// second instead of ten (a replay of a large matrix lasts a few seconds, so the default kept
/// nearly everything it ever freed), at no measured cost in wall time. `_RJEM_MALLOC_CONF` in
/// the environment still overrides it.
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8; 37] = b"dirty_decay_ms:1000,muzzy_decay_ms:0\0";

fn main() -> std::process::ExitCode {
    llm_conform::cli::main()
}
