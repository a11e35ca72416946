//! Adaptive polling: quick first polls (most sandbox and small jobs end within seconds), then a capped
//! interval, so a job's end is noticed within about a second without hammering the API.
use std::time::Duration;

/// The delay before the next poll, given how long the job has been watched.
pub fn delay(watched: Duration) -> Duration {
    if watched < Duration::from_secs(3) {
        Duration::from_millis(250)
    } else if watched < Duration::from_secs(15) {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_quickly_at_first_then_at_most_once_a_second() {
        assert_eq!(delay(Duration::ZERO), Duration::from_millis(250));
        assert_eq!(delay(Duration::from_secs(5)), Duration::from_millis(500));
        assert_eq!(delay(Duration::from_secs(3600)), Duration::from_secs(1));
        let polls_in_first_minute = {
            let (mut watched, mut polls) = (Duration::ZERO, 0);
            while watched < Duration::from_secs(60) {
                watched += delay(watched);
                polls += 1;
            }
            polls
        };
        // 12 polls in the first 3 s, 24 until 15 s, then one a second.
        assert_eq!(polls_in_first_minute, 12 + 24 + 45);
    }
}
