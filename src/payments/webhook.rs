//! Stripe webhook signatures: `Stripe-Signature: t=TIMESTAMP,v1=HEX[,v1=HEX…]`, where each `v1`
//! is HMAC-SHA256 keyed with the endpoint's secret (`whsec_…`) over `"{t}.{raw body}"`.
//!
//! Verify the raw bytes exactly as received, before parsing any JSON: re-serialised JSON would
//! not match the signature.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Stripe's own default: a delivery signed more than five minutes ago is refused,
/// so that a captured delivery cannot be replayed later.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a webhook delivery was refused. Every variant means "answer 400 and do not act on it".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignature,
    #[error("the webhook signature does not match the payload and secret")]
    Mismatch,
    #[error("the webhook was signed {age_secs} s ago, more than the {tolerance_secs} s allowed")]
    Stale { age_secs: i64, tolerance_secs: i64 },
    #[error("the webhook secret is empty")]
    EmptySecret,
}

/// Checks that `header` (the `Stripe-Signature` value) signs `payload` with `secret`, at a
/// timestamp at most `tolerance_secs` before `now` (Unix seconds). A timestamp ahead of `now`
/// is accepted, as Stripe's own libraries do: a slow local clock must not refuse real deliveries.
///
/// Any one matching `v1` is enough (Stripe sends several while a secret is being rolled);
/// other schemes (`v0`, …) are ignored. The comparison is constant-time.
///
/// Fails with [`SignatureError`] when the header cannot be parsed, carries no `v1`, no `v1`
/// matches, or the timestamp is too old.
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secret: &str,
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::EmptySecret);
    }
    let parsed = parse_header(header)?;
    if parsed.signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let age = now.saturating_sub(parsed.timestamp);
    if age > tolerance_secs {
        return Err(SignatureError::Stale {
            age_secs: age,
            tolerance_secs,
        });
    }
    let mac = signed_mac(payload, secret, parsed.timestamp);
    // Each candidate is checked in full, whether or not an earlier one matched, so that the
    // time taken says nothing about which one did.
    let mut matched = false;
    for signature in &parsed.signatures {
        matched |= mac.clone().verify_slice(signature).is_ok();
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `Stripe-Signature` header Stripe would send for `payload` signed with `secret` at
/// Unix time `timestamp`: `t=…,v1=…`. For tests and for replaying deliveries locally.
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let tag = signed_mac(payload, secret, timestamp)
        .finalize()
        .into_bytes();
    format!("t={timestamp},v1={}", hex(&tag))
}

fn signed_mac(payload: &[u8], secret: &str, timestamp: i64) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

struct ParsedHeader {
    timestamp: i64,
    signatures: Vec<Vec<u8>>,
}

fn parse_header(header: &str) -> Result<ParsedHeader, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("an item is not key=value"))?;
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one timestamp"));
                }
                let t = value
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Malformed("the timestamp is not a number"))?;
                timestamp = Some(t);
            }
            // A v1 that is not valid hex cannot match; skip it like an unknown scheme rather
            // than refuse a delivery that may carry another, valid v1.
            "v1" => signatures.extend(unhex(value)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no timestamp (t=)"))?;
    Ok(ParsedHeader {
        timestamp,
        signatures,
    })
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(digits, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const T: i64 = 1_795_790_000;

    #[test]
    fn a_delivery_signed_with_the_secret_is_accepted() {
        let header = sign(BODY, SECRET, T);
        assert_eq!(verify_signature(BODY, &header, SECRET, T + 10, 300), Ok(()));
    }

    #[test]
    fn the_signature_matches_stripes_documented_construction() {
        // HMAC-SHA256("secret", "1.{}") computed independently (Python's hmac module).
        assert_eq!(
            sign(b"{}", "secret", 1),
            "t=1,v1=1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908"
        );
    }

    #[test]
    fn a_delivery_signed_with_another_secret_is_refused() {
        let header = sign(BODY, "whsec_someone_else", T);
        assert_eq!(
            verify_signature(BODY, &header, SECRET, T, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_body_altered_after_signing_is_refused() {
        let header = sign(BODY, SECRET, T);
        let altered = br#"{"id":"evt_1","type":"payment_intent.canceled"}"#;
        assert_eq!(
            verify_signature(altered, &header, SECRET, T, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_changed_timestamp_breaks_the_signature() {
        let header = sign(BODY, SECRET, T).replace(&format!("t={T}"), &format!("t={}", T + 1));
        assert_eq!(
            verify_signature(BODY, &header, SECRET, T, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_stale_delivery_is_refused_even_when_correctly_signed() {
        let header = sign(BODY, SECRET, T);
        assert_eq!(
            verify_signature(BODY, &header, SECRET, T + 300, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature(BODY, &header, SECRET, T + 301, 300),
            Err(SignatureError::Stale {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
    }

    #[test]
    fn a_delivery_from_the_future_is_accepted_as_stripes_libraries_do() {
        // A local clock running slow must not refuse every real delivery: Stripe's own
        // libraries check the age only.
        let header = sign(BODY, SECRET, T + 3_600);
        assert_eq!(verify_signature(BODY, &header, SECRET, T, 300), Ok(()));
    }

    #[test]
    fn any_one_matching_v1_among_several_is_enough() {
        let good = sign(BODY, SECRET, T);
        let good_sig = good.split_once(",v1=").expect("sign writes v1").1;
        let wrong = sign(BODY, "whsec_old_secret", T);
        let wrong_sig = wrong.split_once(",v1=").expect("sign writes v1").1;
        let header = format!("t={T},v1={wrong_sig},v0=abcd,v1=zz,v1={good_sig}");
        assert_eq!(verify_signature(BODY, &header, SECRET, T, 300), Ok(()));
        let only_wrong = format!("t={T},v1={wrong_sig},v1={wrong_sig}");
        assert_eq!(
            verify_signature(BODY, &only_wrong, SECRET, T, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let sig = sign(BODY, SECRET, T);
        let v1 = sig.split_once(',').expect("sign writes t and v1").1;
        for header in [
            String::new(),
            "garbage".to_owned(),
            v1.to_owned(),
            format!("t=soon,{v1}"),
            format!("t={T},t={T},{v1}"),
            format!("t={T},{v1},junk"),
        ] {
            assert!(
                matches!(
                    verify_signature(BODY, &header, SECRET, T, 300),
                    Err(SignatureError::Malformed(_))
                ),
                "{header:?} should be malformed"
            );
        }
        assert_eq!(
            verify_signature(BODY, &format!("t={T}"), SECRET, T, 300),
            Err(SignatureError::NoSignature)
        );
        assert_eq!(
            verify_signature(BODY, &sig, "", T, 300),
            Err(SignatureError::EmptySecret)
        );
    }
}
