//! YAML reading (with positions) and writing (YAML 1.1-safe).
pub mod emit;
pub mod load;
pub mod map;
pub mod node;
mod repair;
pub mod token;
