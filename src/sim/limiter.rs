//! Skatteetaten's usage limit: no more than `limit` simultaneous calls per API per consumer organisation
//! (`skatteetaten-apis.md` §1.5). NAV has no documented limit, so Aa-registeret is not limited.
//! A call beyond the limit gets 429 with `Retry-After: 1` and a `{kode, melding, korrelasjonsid}` body
//! (kode `DAS-003`, "temporarily unavailable, retry later"; the real behaviour is undocumented).
//!
//! The limiter also measures: per (api, consumer) the calls in flight now, the most ever in flight at once
//! (the gauge tests assert on) and how many calls were refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// In-flight statistics of one (api, consumer) pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct InFlight {
    /// Calls being served right now.
    pub current: usize,
    /// The most calls ever served at the same time.
    pub max: usize,
    /// Calls admitted in total.
    pub admitted: u64,
    /// Calls refused with 429.
    pub refused: u64,
}

type Key = (String, String);

pub struct Limiter {
    limit: usize,
    slots: Arc<Mutex<HashMap<Key, InFlight>>>,
}

/// Holds one slot; releases it on drop.
pub struct Permit {
    slots: Arc<Mutex<HashMap<Key, InFlight>>>,
    key: Key,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slots.get_mut(&self.key) {
            s.current = s.current.saturating_sub(1);
        }
    }
}

impl Limiter {
    pub fn new(limit: usize) -> Limiter {
        Limiter {
            limit,
            slots: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A permit for one call of `api` by `consumer_org`, or `None` when `limit` calls are already in flight.
    pub fn try_acquire(&self, api: &str, consumer_org: &str) -> Option<Permit> {
        let key = (api.to_string(), consumer_org.to_string());
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let s = slots.entry(key.clone()).or_default();
        if s.current >= self.limit {
            s.refused += 1;
            return None;
        }
        s.current += 1;
        s.admitted += 1;
        s.max = s.max.max(s.current);
        drop(slots);
        Some(Permit {
            slots: self.slots.clone(),
            key,
        })
    }

    /// The statistics of (`api`, `consumer_org`) (all zero when never called).
    pub fn stats(&self, api: &str, consumer_org: &str) -> InFlight {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .get(&(api.to_string(), consumer_org.to_string()))
            .copied()
            .unwrap_or_default()
    }

    /// Every pair seen so far: (api, consumer, stats).
    pub fn all(&self) -> Vec<(String, String, InFlight)> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = slots
            .iter()
            .map(|((a, c), s)| (a.clone(), c.clone(), *s))
            .collect();
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_then_refused() {
        let l = Limiter::new(5);
        let permits: Vec<_> = (0..5)
            .map(|_| l.try_acquire("inntekt", "987654309"))
            .collect();
        assert!(permits.iter().all(|p| p.is_some()));
        assert!(l.try_acquire("inntekt", "987654309").is_none());
        assert!(l.try_acquire("inntektsmottakere", "987654309").is_some());
        drop(permits);
        assert!(l.try_acquire("inntekt", "987654309").is_some());
        let s = l.stats("inntekt", "987654309");
        assert_eq!((s.max, s.current, s.refused, s.admitted), (5, 0, 1, 6));
    }
}
