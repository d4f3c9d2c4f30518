//! The prompt cache: each file decoded once to 8 kHz and shared by every leg that plays it.
//!
//! The firmware owns the file system: it asks [`PromptCache::get`] first, and on a miss reads
//! the file and calls [`PromptCache::insert`] with its bytes. A decoding error is cached too
//! (as a value: the DSM layer turns it into a `file` exception), so a broken prompt is not
//! re-read on every call; [`PromptCache::remove`] or [`PromptCache::clear`] after the file
//! changes (a configuration reload). A failed *read* is the firmware's error and is not cached.
//!
//! An optional byte budget evicts the oldest entries that no playlist is using.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::Clip;
use crate::wav::{self, WavError};

/// Decoded prompts keyed by path.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: HashMap<String, Result<Clip, WavError>>,
    /// Insertion order, for eviction.
    order: VecDeque<String>,
    budget_bytes: Option<usize>,
    bytes: usize,
}

fn entry_bytes(e: &Result<Clip, WavError>) -> usize {
    e.as_ref().map_or(0, |c| c.len() * 2)
}

impl PromptCache {
    /// A cache without a size limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache that evicts unused entries, oldest first, to stay under `bytes` of samples.
    /// An entry larger than the budget is returned but not kept.
    pub fn with_budget_bytes(bytes: usize) -> Self {
        Self {
            budget_bytes: Some(bytes),
            ..Self::default()
        }
    }

    /// The decoded prompt or its decoding error; `None` if the path was never inserted.
    pub fn get(&self, path: &str) -> Option<Result<Clip, WavError>> {
        self.entries.get(path).cloned()
    }

    /// The path has been inserted (successfully or not).
    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// Decode `bytes` (the file at `path`), keep the result and return it.
    pub fn insert(&mut self, path: &str, bytes: &[u8]) -> Result<Clip, WavError> {
        let result = wav::decode(bytes).map(|d| {
            if d.truncated {
                log::warn!(
                    "{path}: WAV data is shorter than its header says; playing what is there"
                );
            }
            Clip::from(d.samples)
        });
        self.remove(path);
        let size = entry_bytes(&result);
        if self.budget_bytes.is_some_and(|b| size > b) {
            return result;
        }
        self.entries.insert(path.to_owned(), result.clone());
        self.order.push_back(path.to_owned());
        self.bytes += size;
        self.evict();
        result
    }

    fn evict(&mut self) {
        let Some(budget) = self.budget_bytes else {
            return;
        };
        let mut i = 0;
        while self.bytes > budget && i < self.order.len() {
            let in_use = match self.entries.get(&self.order[i]) {
                Some(Ok(clip)) => Arc::strong_count(clip) > 1,
                _ => false,
            };
            if in_use {
                i += 1;
            } else if let Some(path) = self.order.remove(i)
                && let Some(e) = self.entries.remove(&path)
            {
                self.bytes -= entry_bytes(&e);
            }
        }
    }

    /// Forget one path (its file changed). Playing items keep their samples.
    pub fn remove(&mut self, path: &str) -> bool {
        match self.entries.remove(path) {
            Some(e) => {
                self.bytes -= entry_bytes(&e);
                self.order.retain(|p| p != path);
                true
            }
            None => false,
        }
    }

    /// Forget everything (configuration reload).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
    }

    /// Entries held (successes and errors).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of decoded samples held.
    pub fn decoded_bytes(&self) -> usize {
        self.bytes
    }
}
