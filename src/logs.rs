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

    /// Writes the count of warnings left out of each kind whose window has passed, so a
    /// flood that stopped is still told in full (the scheduler calls this each second).
    /// Returns how many summary lines it wrote.
    pub fn flush_due(&self) -> usize {
        let now = Instant::now();
        let due: Vec<(&'static str, u64)> = {
            let Ok(mut kinds) = self.kinds.lock() else {
                return 0;
            };
            kinds
                .iter_mut()
                .filter(|(_, w)| w.left_out > 0 && now.duration_since(w.logged_at) >= EVERY)
                .map(|(kind, window)| {
                    let left_out = window.left_out;
                    *window = Window {
                        logged_at: now,
                        left_out: 0,
                    };
                    (*kind, left_out)
                })
                .collect()
        };
        for (kind, left_out) in &due {
            tracing::warn!(
                kind,
                left_out,
                "{left_out} more warnings of this kind since the last such line"
            );
        }
        due.len()
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
        // Nothing is due before the window has passed; then the count is written once.
        assert_eq!(logs.flush_due(), 0);
        {
            let mut kinds = logs.kinds.lock().unwrap();
            let window = kinds.get_mut("refused").unwrap();
            window.logged_at = window.logged_at.checked_sub(EVERY).unwrap();
        }
        assert_eq!(logs.flush_due(), 1);
        assert_eq!(logs.kinds.lock().unwrap()["refused"].left_out, 0);
        assert_eq!(logs.flush_due(), 0);
    }
}
