//! Namespace bindings with scopes, as the parser and the canonicalizer keep them: one binding per declaration,
//! innermost last, undone when the element that made them ends.
//!
//! Real tokens have a handful of declarations in scope: a lookup scans them from the innermost, without hashing
//! or allocating. A hostile document may put thousands in scope; past [`INDEX_AT`] bindings an index by prefix takes
//! over, so a lookup costs the same whatever their number.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// The number of bindings past which lookups go through an index.
pub(crate) const INDEX_AT: usize = 32;

/// Bindings of keys (prefixes) to values (namespace URIs), innermost last.
#[derive(Debug)]
pub(crate) struct Scope<K, V> {
    stack: Vec<(K, V)>,
    index: Option<HashMap<K, Vec<V>>>,
}

impl<K, V> Default for Scope<K, V> {
    fn default() -> Self {
        Scope {
            stack: Vec::new(),
            index: None,
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Scope<K, V> {
    /// Binds `key` to `value`, shadowing any outer binding.
    pub(crate) fn bind(&mut self, key: K, value: V) {
        if let Some(index) = &mut self.index {
            index.entry(key.clone()).or_default().push(value.clone());
        }
        self.stack.push((key, value));
        if self.index.is_none() && self.stack.len() > INDEX_AT {
            let mut index: HashMap<K, Vec<V>> = HashMap::new();
            for (k, v) in &self.stack {
                index.entry(k.clone()).or_default().push(v.clone());
            }
            self.index = Some(index);
        }
    }

    /// The innermost binding of `key`.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        match &self.index {
            Some(index) => index.get(key).and_then(|v| v.last()),
            None => self.stack.iter().rev().find(|(k, _)| k.borrow() == key).map(|(_, v)| v),
        }
    }

    /// A mark to [`Scope::restore`] to.
    pub(crate) fn mark(&self) -> usize {
        self.stack.len()
    }

    /// Undoes every binding made since `mark`.
    pub(crate) fn restore(&mut self, mark: usize) {
        while self.stack.len() > mark {
            let Some((k, _)) = self.stack.pop() else { break };
            if let Some(v) = self.index.as_mut().and_then(|index| index.get_mut(&k)) {
                v.pop();
            }
        }
        if self.stack.len() <= INDEX_AT / 2 {
            self.index = None;
        }
    }

    /// Every key bound, once each.
    pub(crate) fn keys(&self) -> Vec<&K> {
        let mut keys: Vec<&K> = Vec::new();
        for (k, _) in &self.stack {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_agree_with_and_without_the_index() {
        let mut s: Scope<String, usize> = Scope::default();
        let mut marks = Vec::new();
        // Bind past the index threshold and back, checking the innermost binding of every key at each step.
        for i in 0..100 {
            marks.push(s.mark());
            s.bind(format!("p{}", i % 7), i);
            for k in 0..7 {
                let expected = (0..=i).rev().find(|j| j % 7 == k);
                assert_eq!(s.get(&format!("p{k}")).copied(), expected, "after binding {i}");
            }
        }
        assert!(s.index.is_some());
        for i in (0..100).rev() {
            s.restore(marks[i]);
            for k in 0..7 {
                let expected = (0..i).rev().find(|j| j % 7 == k);
                assert_eq!(s.get(&format!("p{k}")).copied(), expected, "after undoing {i}");
            }
        }
        assert!(s.index.is_none());
        assert_eq!(s.keys().len(), 0);
    }
}
