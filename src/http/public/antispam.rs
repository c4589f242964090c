//! The anti-spam step every citizens' form takes before its fields are read: the
//! sender's address, then `citizen::spam::Guard::admit` (honeypot, rate, challenge).

use std::net::IpAddr;

use axum::Extension;

use crate::app::App;
use crate::citizen::spam::Refusal;
use crate::http::error::Outcome;
use crate::http::server::Peer;

/// Why a form was refused, in Vietnamese, and how the page answers.
pub struct Refused {
    pub message: &'static str,
    pub outcome: Outcome,
    /// The anti-spam answer is wrong or its question expired: an error of the "answer"
    /// field, reported with the form's other errors in one pass.
    pub on_answer: bool,
}

/// The sender's address (unspecified if the connection did not say).
pub fn sender(peer: Option<Extension<Peer>>) -> IpAddr {
    peer.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(Peer(addr))| {
        addr.ip().to_canonical()
    })
}

/// Passes a submission through the guard; a refusal is logged (without the fields).
pub fn admit(
    app: &App,
    form: &str,
    ip: IpAddr,
    honeypot: &str,
    challenge: &str,
    answer: &str,
) -> Result<(), Refused> {
    app.form_guard
        .admit(ip, honeypot, challenge, answer)
        .map_err(|refusal| {
            // No address in the log: the processing notice promises none is kept.
            tracing::info!(form, "refused a citizen's form: {refusal}");
            Refused {
                on_answer: matches!(refusal, Refusal::WrongAnswer | Refusal::BadChallenge),
                message: refusal.vietnamese(),
                outcome: match refusal {
                    Refusal::RateLimited => Outcome::Throttled,
                    _ => Outcome::Invalid,
                },
            }
        })
}
