//! Warnings that an attacker can make repeat (refused connections, failed accepts):
//! the first of a kind is logged at once, then at most one line per kind every ten
//! seconds, carrying how many like it were left out, so a flood cannot fill the disk
//! with log lines.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a kind of warning may be logged.
pub const EVERY: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct Summarised {
    kinds: Mutex<HashMap<&'static str, Window>>,
}

struct Window {
    logged_at: Instant,
    left_out: u64,
}

impl Summarised {
    /// Logs `message` as a warning of `kind`, unless one was logged less than `EVERY`
    /// ago; then it is counted and the count goes with the next line of that kind.
    /// Returns whether a line was written.
    pub fn warn(&self, kind: &'static str, message: impl FnOnce() -> String) -> bool {
        let now = Instant::now();
        let left_out = {
            let Ok(mut kinds) = self.kinds.lock() else {
                return false;
            };
            match kinds.get_mut(kind) {
                Some(window) if now.duration_since(window.logged_at) < EVERY => {
                    window.left_out += 1;
                    return false;
                }
                Some(window) => {
                    let left_out = window.left_out;
                    *window = Window {
                        logged_at: now,
                        left_out: 0,
                    };
                    left_out
                }
                None => {
                    kinds.insert(
                        kind,
                        Window {
                            logged_at: now,
                            left_out: 0,
                        },
                    );
                    0
                }
            }
        };
        if left_out == 0 {
            tracing::warn!(kind, "{}", message());
        } else {
            tracing::warn!(
                kind,
                left_out,
                "{} ({left_out} more like it since the last such line)",
                message()
            );
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_the_window_are_counted_not_logged() {
        let logs = Summarised::default();
        let logged = (0..1000)
            .filter(|_| logs.warn("refused", || "refused".to_string()))
            .count();
        assert_eq!(logged, 1);
        assert_eq!(logs.kinds.lock().unwrap()["refused"].left_out, 999);
        // Another kind has its own window.
        assert!(logs.warn("accept", String::new));
    }
}
