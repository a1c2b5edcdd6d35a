//! Skatteetaten's usage limit: no more than `limit` simultaneous calls per API per consumer organisation
//! (`skatteetaten-apis.md` §1.5). NAV has no documented limit, so Aa-registeret is not limited.
//! A call beyond the limit gets 429 with `Retry-After: 1` and a `{kode, melding, korrelasjonsid}` body
//! (kode `DAS-003`, "temporarily unavailable, retry later"; the real behaviour is undocumented).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Limiter {
    limit: usize,
    slots: Mutex<HashMap<(String, String), Arc<Semaphore>>>,
}

impl Limiter {
    pub fn new(limit: usize) -> Limiter {
        Limiter {
            limit,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A permit for one call of `api` by `consumer_org`, or `None` when `limit` calls are already in flight.
    pub fn try_acquire(&self, api: &str, consumer_org: &str) -> Option<OwnedSemaphorePermit> {
        let sem = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots
                .entry((api.to_string(), consumer_org.to_string()))
                .or_insert_with(|| Arc::new(Semaphore::new(self.limit)))
                .clone()
        };
        sem.try_acquire_owned().ok()
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
    }
}
