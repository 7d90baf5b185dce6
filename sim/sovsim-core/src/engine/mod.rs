//! The discrete-event engine's building blocks: simulated time, the event queue, seeded random
//! streams per subsystem and entity, and sampling of the scenario's distributions through a Gaussian
//! copula; one replication of the buildout (`buildout`) and what it records (`record`), replicated
//! in parallel and aggregated. No I/O; one simulation owns all the state of one replication.

pub mod aggregate;
pub mod buildout;
pub mod failures;
pub mod quantiles;
pub mod queue;
pub mod random;
pub mod record;
pub mod replicate;
pub mod sample;
pub mod time;
