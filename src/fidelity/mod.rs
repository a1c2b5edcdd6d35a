//! The fidelity loop (issue 15, docs/simulator.md "Fidelity loop: capture and compare"): `run --capture`
//! records every exchange of a run against the agencies ([`capture`]), values replaced by their shape
//! ([`shape`]); `dsop-harness fidelity RUN_DIR` plans the same steps again against the bundled simulator's
//! data set, with switches set, and lists where status, code or shape differ ([`compare`]).

pub mod capture;
pub mod compare;
pub mod shape;
