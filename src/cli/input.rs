use std::io::Read;

use anyhow::Context;

/// Reads a file argument, `-` meaning standard input.
pub fn read_input(arg: &str) -> anyhow::Result<Vec<u8>> {
    if arg == "-" {
        let mut buf = Vec::new();
        std::io::stdin().take(256 * 1024 * 1024).read_to_end(&mut buf).context("failed to read standard input")?;
        Ok(buf)
    } else {
        Ok(crate::regular_file::read(std::path::Path::new(arg), 256 * 1024 * 1024)?)
    }
}

/// Parses a canonical request, naming the field that is wrong.
pub fn parse_request(bytes: &[u8], origin: &str) -> anyhow::Result<llm_conform_core::api::ChatRequest> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        anyhow::anyhow!("invalid request in {origin} at `{path}`: {}", e.into_inner())
    })
}
