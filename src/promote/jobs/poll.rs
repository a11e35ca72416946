//! Adaptive polling that scales with the job: quick first polls (most small jobs end within seconds), then
//! an interval that grows with the time watched (5% of it, capped), so the end of a job is noticed within
//! max(1 s, 5% of its length) while a long job costs few status calls (60 s: at most 60; 10 min: at most
//! 120).
use std::time::Duration;

/// The share of the time watched that the client may be late by, once past the first seconds.
const LATENESS_SHARE: u32 = 20; // 1/20 = 5%
/// Whatever the job's length, the client is never later than this.
const CAP: Duration = Duration::from_secs(30);

/// The delay before the next poll, given how long the job has been watched.
pub fn delay(watched: Duration) -> Duration {
    if watched < Duration::from_secs(2) {
        Duration::from_millis(250)
    } else if watched < Duration::from_secs(5) {
        Duration::from_millis(500)
    } else {
        (watched / LATENESS_SHARE).clamp(Duration::from_secs(1), CAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The polls of a job of `length` under [`delay`], from its start (the first poll is at once) until the
    /// first poll that sees it ended.
    fn polls(length: Duration) -> Vec<Duration> {
        let mut at = vec![Duration::ZERO];
        while *at.last().unwrap() < length {
            let last = *at.last().unwrap();
            at.push(last + delay(last));
        }
        at
    }

    /// How long after its end a job of `length` is noticed.
    fn lateness(length: Duration) -> Duration {
        *polls(length).last().unwrap() - length
    }

    /// The latest a job of at most `length` is noticed: it ended just after a poll, and the next one sees it.
    fn worst_lateness(length: Duration) -> Duration {
        let polls = polls(length);
        polls
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .max()
            .unwrap_or_default()
    }

    fn allowed_lateness(length: Duration) -> Duration {
        (length / 20).max(Duration::from_secs(1))
    }

    #[test]
    fn polls_quickly_at_first() {
        assert_eq!(delay(Duration::ZERO), Duration::from_millis(250));
        assert_eq!(delay(Duration::from_secs(3)), Duration::from_millis(500));
        assert_eq!(delay(Duration::from_secs(10)), Duration::from_secs(1));
        // A 1 s job is noticed a quarter of a second after its end at worst, in 5 status calls.
        assert_eq!(polls(Duration::from_secs(1)).len(), 5);
        assert_eq!(
            worst_lateness(Duration::from_secs(1)),
            Duration::from_millis(250)
        );
    }

    #[test]
    fn a_five_second_job_costs_15_status_calls_and_is_noticed_within_half_a_second() {
        let length = Duration::from_secs(5);
        assert_eq!(polls(length).len(), 15);
        assert_eq!(worst_lateness(length), Duration::from_millis(500));
    }

    #[test]
    fn a_one_minute_job_costs_at_most_60_status_calls_and_is_noticed_within_3_seconds() {
        let length = Duration::from_secs(60);
        let calls = polls(length).len();
        assert_eq!(calls, 53);
        assert!(calls <= 60);
        let worst = worst_lateness(length);
        assert!(worst <= Duration::from_secs(3), "{worst:?}");
        assert!(worst > Duration::from_millis(2900), "{worst:?}");
    }

    #[test]
    fn a_ten_minute_job_costs_at_most_120_status_calls_and_is_noticed_within_30_seconds() {
        let length = Duration::from_secs(600);
        let calls = polls(length).len();
        assert_eq!(calls, 100);
        assert!(calls <= 120);
        let worst = worst_lateness(length);
        assert!(worst <= Duration::from_secs(30), "{worst:?}");
        assert!(worst > Duration::from_secs(28), "{worst:?}");
    }

    #[test]
    fn every_job_is_noticed_within_a_second_or_five_percent_of_its_length() {
        let mut length = Duration::from_millis(100);
        while length <= Duration::from_secs(3 * 3600) {
            let late = lateness(length);
            assert!(
                late <= allowed_lateness(length),
                "a {length:?} job is noticed {late:?} late"
            );
            length += Duration::from_millis(100) + length / 50;
        }
    }

    #[test]
    fn the_interval_stops_growing_at_30_seconds() {
        assert_eq!(delay(Duration::from_secs(600)), CAP);
        assert_eq!(delay(Duration::from_secs(24 * 3600)), CAP);
        // A two-hour job: 100 polls for the first ten minutes, then one every 30 s.
        assert_eq!(polls(Duration::from_secs(7200)).len(), 100 + 220);
    }
}
