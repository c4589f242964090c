//! Anti-spam for the public forms, with no outside service (no reCAPTCHA, nothing
//! leaves the server):
//! - a honeypot field people never see or fill;
//! - a per-address rate limit;
//! - a self-hosted challenge: a small sum written in Vietnamese words, readable by
//!   screen readers, signed by this process so no state is kept per form shown. A
//!   challenge answered faster than a person can type, older than two hours, or used
//!   once already is refused.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::hmac;

/// Why a submission was refused, each with what the page tells the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the honeypot field was filled")]
    Honeypot,
    #[error("too many submissions from this address")]
    RateLimited,
    #[error("the challenge answer is wrong")]
    WrongAnswer,
    #[error("the challenge is missing, forged, expired or used")]
    BadChallenge,
    #[error("the form was sent faster than a person types")]
    TooFast,
}

impl Refusal {
    pub fn vietnamese(self) -> &'static str {
        match self {
            Refusal::Honeypot => {
                "Không gửi được: biểu mẫu có dữ liệu lạ. Vui lòng tải lại trang và gửi lại."
            }
            Refusal::RateLimited => {
                "Địa chỉ mạng của bạn đã gửi quá nhiều lần trong một giờ. Vui lòng thử lại sau."
            }
            Refusal::WrongAnswer => "Câu trả lời phép tính kiểm tra chưa đúng. Vui lòng tính lại.",
            Refusal::BadChallenge => {
                "Câu hỏi kiểm tra đã hết hạn hoặc đã dùng. Vui lòng trả lời câu hỏi mới bên dưới."
            }
            Refusal::TooFast => {
                "Biểu mẫu được gửi quá nhanh. Vui lòng kiểm tra lại nội dung rồi gửi."
            }
        }
    }
}

/// A challenge to show: the question, and the token to send back with the answer.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub question: String,
    pub token: String,
}

pub struct Guard {
    key: hmac::Key,
    started: Instant,
    per_hour: usize,
    sent: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    /// Nonces of answered challenges, with when they were issued, until they expire.
    used: Mutex<HashMap<u64, u64>>,
    /// Shortest time from showing a form to sending it.
    min_fill: Duration,
}

const MAX_AGE: Duration = Duration::from_secs(2 * 3600);

/// Answered challenges remembered at most (two hours of them); past this, forms are
/// refused rather than memory grown without end.
const MAX_REMEMBERED: usize = 200_000;

const NUMBERS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

impl Guard {
    /// `per_hour` submissions per address per hour; `min_fill` the shortest believable
    /// time to fill a form.
    pub fn new(per_hour: usize, min_fill: Duration) -> Result<Guard, crate::random::Error> {
        let secret: [u8; 32] = crate::random::bytes()?;
        Ok(Guard {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
            started: Instant::now(),
            per_hour,
            sent: Mutex::new(HashMap::new()),
            used: Mutex::new(HashMap::new()),
            min_fill,
        })
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn sign(&self, nonce: u64, issued_ms: u64, answer: u32) -> [u8; 16] {
        let mut message = Vec::with_capacity(20);
        message.extend_from_slice(&nonce.to_le_bytes());
        message.extend_from_slice(&issued_ms.to_le_bytes());
        message.extend_from_slice(&answer.to_le_bytes());
        let tag = hmac::sign(&self.key, &message);
        let mut out = [0u8; 16];
        out.copy_from_slice(&tag.as_ref()[..16]);
        out
    }

    /// A new challenge: "Bảy cộng hai bằng mấy?"
    pub fn challenge(&self) -> Result<Challenge, crate::random::Error> {
        let random: [u8; 10] = crate::random::bytes()?;
        let a = u32::from(random[8] % 9) + 1;
        let b = u32::from(random[9] % 9) + 1;
        let nonce = u64::from_le_bytes(random[..8].try_into().unwrap_or([0; 8]));
        let issued = self.elapsed_ms();
        let mut token = Vec::with_capacity(32);
        token.extend_from_slice(&nonce.to_le_bytes());
        token.extend_from_slice(&issued.to_le_bytes());
        token.extend_from_slice(&self.sign(nonce, issued, a + b));
        let first = NUMBERS[a as usize];
        let mut chars = first.chars();
        let capitalized: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        Ok(Challenge {
            question: format!(
                "{capitalized} cộng {} bằng mấy? (trả lời bằng số)",
                NUMBERS[b as usize]
            ),
            token: hex::encode(token),
        })
    }

    /// Checks one submission: honeypot, rate, then the challenge, which a pass uses
    /// up. What is stored afterwards is counted against the address with `count`, so
    /// a person correcting a typo does not spend their allowance.
    pub fn admit(
        &self,
        peer: IpAddr,
        honeypot: &str,
        token: &str,
        answer: &str,
    ) -> Result<(), Refusal> {
        if !honeypot.trim().is_empty() {
            return Err(Refusal::Honeypot);
        }
        let now = Instant::now();
        {
            let sent = self.sent.lock().map_err(|_| Refusal::RateLimited)?;
            if let Some(times) = sent.get(&peer)
                && times
                    .iter()
                    .filter(|t| now.duration_since(**t) < Duration::from_secs(3600))
                    .count()
                    >= self.per_hour
            {
                return Err(Refusal::RateLimited);
            }
        }
        let bytes = hex::decode(token.trim()).map_err(|_| Refusal::BadChallenge)?;
        if bytes.len() != 32 {
            return Err(Refusal::BadChallenge);
        }
        let nonce = u64::from_le_bytes(bytes[..8].try_into().map_err(|_| Refusal::BadChallenge)?);
        let issued =
            u64::from_le_bytes(bytes[8..16].try_into().map_err(|_| Refusal::BadChallenge)?);
        let age = Duration::from_millis(self.elapsed_ms().saturating_sub(issued));
        if issued > self.elapsed_ms() || age > MAX_AGE {
            return Err(Refusal::BadChallenge);
        }
        // Only a genuine token is worth remembering; it is spent on its first answer,
        // right or wrong, so a bot cannot try every sum on one token.
        let genuine = (2..=18).any(|sum| self.sign(nonce, issued, sum) == bytes[16..32]);
        if !genuine {
            return Err(Refusal::BadChallenge);
        }
        {
            let mut used = self.used.lock().map_err(|_| Refusal::BadChallenge)?;
            let now_ms = self.elapsed_ms();
            // Pruned now and then, not on every answer; bounded by the age limit.
            if used.len() >= 1024 {
                used.retain(|_, issued| {
                    now_ms.saturating_sub(*issued) <= MAX_AGE.as_millis() as u64
                });
            }
            if used.len() >= MAX_REMEMBERED || used.insert(nonce, issued).is_some() {
                return Err(Refusal::BadChallenge);
            }
        }
        let given: u32 = answer.trim().parse().map_err(|_| Refusal::WrongAnswer)?;
        if self.sign(nonce, issued, given) != bytes[16..32] {
            return Err(Refusal::WrongAnswer);
        }
        if age < self.min_fill {
            return Err(Refusal::TooFast);
        }
        Ok(())
    }

    /// Counts a stored submission from `peer` against the hourly limit.
    pub fn count(&self, peer: IpAddr) {
        let now = Instant::now();
        if let Ok(mut sent) = self.sent.lock() {
            if sent.len() >= 1024 {
                sent.retain(|_, times| {
                    times.retain(|t| now.duration_since(*t) < Duration::from_secs(3600));
                    !times.is_empty()
                });
            }
            let times = sent.entry(peer).or_default();
            times.retain(|t| now.duration_since(*t) < Duration::from_secs(3600));
            times.push_back(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sum a challenge asks for, read back from its words.
    pub(crate) fn solve(question: &str) -> u32 {
        let words: Vec<String> = question
            .to_lowercase()
            .split_whitespace()
            .map(String::from)
            .collect();
        let value = |w: &str| NUMBERS.iter().position(|n| *n == w).unwrap() as u32;
        value(&words[0]) + value(&words[2])
    }

    #[test]
    fn a_challenge_passes_once_with_the_right_answer() {
        let guard = Guard::new(10, Duration::ZERO).unwrap();
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let c = guard.challenge().unwrap();
        let right = solve(&c.question).to_string();
        assert_eq!(
            guard.admit(peer, "x", &c.token, &right),
            Err(Refusal::Honeypot)
        );
        assert_eq!(guard.admit(peer, "", &c.token, &right), Ok(()));
        // A wrong answer spends the token too: no trying every sum.
        let c = guard.challenge().unwrap();
        assert_eq!(
            guard.admit(peer, "", &c.token, "99"),
            Err(Refusal::WrongAnswer)
        );
        let right = solve(&c.question).to_string();
        assert_eq!(
            guard.admit(peer, "", &c.token, &right),
            Err(Refusal::BadChallenge),
            "used"
        );
        assert_eq!(
            guard.admit(peer, "", "bm9wZQ", "3"),
            Err(Refusal::BadChallenge)
        );
        let other = Guard::new(10, Duration::ZERO).unwrap();
        assert_eq!(
            other.admit(peer, "", &c.token, &right),
            Err(Refusal::BadChallenge),
            "another key"
        );
    }

    #[test]
    fn the_rate_limit_counts_per_address_and_fast_answers_are_refused() {
        let guard = Guard::new(2, Duration::ZERO).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..2 {
            let c = guard.challenge().unwrap();
            guard
                .admit(a, "", &c.token, &solve(&c.question).to_string())
                .unwrap();
            guard.count(a);
        }
        let c = guard.challenge().unwrap();
        let answer = solve(&c.question).to_string();
        assert_eq!(
            guard.admit(a, "", &c.token, &answer),
            Err(Refusal::RateLimited)
        );
        assert_eq!(guard.admit(b, "", &c.token, &answer), Ok(()));
        let slow = Guard::new(2, Duration::from_secs(60)).unwrap();
        let c = slow.challenge().unwrap();
        assert_eq!(
            slow.admit(a, "", &c.token, &solve(&c.question).to_string()),
            Err(Refusal::TooFast)
        );
    }
}
