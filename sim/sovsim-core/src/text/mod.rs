//! Answers in words for the terminal, and numbers for people (€1.23bn, 14.2 GW, 1.31×, 12.4 %),
//! one formatter per kind of figure, shared with the report so a figure prints the same everywhere.

pub mod catalog;
pub mod format;
pub mod run;
pub mod sensitivity;
pub mod validation;
