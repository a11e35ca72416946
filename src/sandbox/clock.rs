//! The sandbox's clock: real time, moved forward by `POST /_sandbox/clock` so that tests can show what
//! happens a day later without waiting for it. Tenant job listings (the last hour's jobs) and issued tokens
//! read it; a job's own progress runs on real time.
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::error::ApiError;
use super::fields::Fields;
use super::state::SandboxState;

/// Real time plus how far the clock was moved forward.
#[derive(Debug, Default, Clone, Copy)]
pub struct Clock {
    advanced: Duration,
}

impl Clock {
    /// The sandbox's wall-clock time.
    pub fn now(&self) -> SystemTime {
        SystemTime::now() + self.advanced
    }

    /// The sandbox's monotonic time (token expiry).
    pub fn instant(&self) -> Instant {
        Instant::now() + self.advanced
    }

    /// How far the clock has been moved forward.
    pub fn advanced(&self) -> Duration {
        self.advanced
    }
}

/// The longest single move: a year, so a typo cannot overflow the clock.
const MAX_ADVANCE_SECONDS: u64 = 366 * 24 * 3600;
/// The furthest the clock may be moved in all: a hundred years (dates stay far from year 9999, past which
/// the timestamps of job listings cannot be written).
const MAX_TOTAL_SECONDS: u64 = 100 * 366 * 24 * 3600;

/// `POST /_sandbox/clock` with `{"advance_seconds": N}`: moves the clock forward by N seconds and answers
/// `{"advanced_seconds": total}`.
pub async fn advance(
    State(state): State<SandboxState>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let fields = Fields::object(&body, "body", &["advance_seconds"])?;
    let seconds = fields
        .opt::<u64>("advance_seconds")?
        .filter(|seconds| *seconds <= MAX_ADVANCE_SECONDS)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "body.advance_seconds: expected a number of seconds from 0 to {MAX_ADVANCE_SECONDS}"
            ))
        })?;
    let mut inner = state.lock();
    let total = inner.clock.advanced.as_secs().saturating_add(seconds);
    if total > MAX_TOTAL_SECONDS {
        return Err(ApiError::bad_request(format!(
            "body.advance_seconds: the clock may move {MAX_TOTAL_SECONDS} seconds forward in all; it \
             has moved {} already",
            inner.clock.advanced.as_secs()
        )));
    }
    inner.clock.advanced = Duration::from_secs(total);
    tracing::info!(seconds, "sandbox clock moved forward");
    Ok(Json(
        json!({ "advanced_seconds": inner.clock.advanced().as_secs() }),
    ))
}
