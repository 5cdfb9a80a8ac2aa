//! Logging and metrics. Every log line passes [`scrub::Scrubber`] on its way out.

pub mod lost;
pub mod metrics;
pub mod scrub;

use crate::config::{LogFormat, LogSettings};
use std::io::Write;
use std::sync::Arc;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// A writer that scrubs each formatted event before it reaches stdout.
#[derive(Clone)]
pub struct ScrubbingStdout {
    scrubber: Arc<scrub::Scrubber>,
}

pub struct ScrubbedLine {
    scrubber: Arc<scrub::Scrubber>,
}

impl Write for ScrubbedLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The fmt layer writes one whole event per call.
        let text = String::from_utf8_lossy(buf);
        let clean = self.scrubber.scrub(&text);
        std::io::stdout().lock().write_all(clean.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

impl<'a> MakeWriter<'a> for ScrubbingStdout {
    type Writer = ScrubbedLine;
    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedLine {
            scrubber: self.scrubber.clone(),
        }
    }
}

/// Installs the global subscriber; call once from `main`.
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let writer = ScrubbingStdout {
        scrubber: Arc::new(scrub::Scrubber::new()),
    };
    let filter = EnvFilter::try_new(&settings.level)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = match settings.format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))
}
