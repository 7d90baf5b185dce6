//! The event queue: events ordered by (time, insertion sequence), so that events at equal times
//! keep the order they were scheduled in (FIFO), and scheduling into the past is refused.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// Refusal to schedule an event before the current time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledInPast {
    /// The current time.
    pub now: SimTime,
    /// The time asked for.
    pub at: SimTime,
}

impl std::fmt::Display for ScheduledInPast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event scheduled at hour {} but the time is already hour {}",
            self.at.0, self.now.0
        )
    }
}

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    // Reversed: `BinaryHeap` is a max-heap and the earliest (time, seq) must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events of one simulation.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    now: SimTime,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            now: SimTime::ZERO,
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue with room for `capacity` pending events.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// The time of the last event taken out (zero before the first).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at `at`.
    ///
    /// # Errors
    /// If `at` is before the current time.
    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<(), ScheduledInPast> {
        if at < self.now {
            return Err(ScheduledInPast { now: self.now, at });
        }
        self.heap.push(Entry {
            time: at,
            seq: self.next_seq,
            event,
        });
        self.next_seq += 1;
        Ok(())
    }

    /// Takes out the earliest event and advances the time to it.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.heap.pop()?;
        self.now = entry.time;
        Some((entry.time, entry.event))
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_time_then_in_scheduling_order() {
        let mut q = EventQueue::new();
        for (t, name) in [(5, "a"), (1, "b"), (5, "c"), (3, "d"), (5, "e"), (1, "f")] {
            q.schedule(SimTime(t), name).expect("not in the past");
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["b", "f", "d", "a", "c", "e"]);
    }

    #[test]
    fn scheduling_into_the_past_is_refused_and_now_never_goes_back() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ()).expect("future");
        assert_eq!(q.pop(), Some((SimTime(10), ())));
        assert_eq!(
            q.schedule(SimTime(9), ()),
            Err(ScheduledInPast {
                now: SimTime(10),
                at: SimTime(9)
            })
        );
        q.schedule(SimTime(10), ()).expect("the present is allowed");
        // Time never goes back over a long random run (a linear congruential generator keeps it dependency-free).
        let mut x: u64 = 42;
        let mut last = q.now();
        for _ in 0..10_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            if !x.is_multiple_of(3) || q.is_empty() {
                q.schedule(SimTime(q.now().0 + (x >> 40) as i64 % 1000), ())
                    .expect("future");
            } else if let Some((t, ())) = q.pop() {
                assert!(t >= last);
                last = t;
            }
        }
    }
}
