//! Scheduled backups and their retention.
