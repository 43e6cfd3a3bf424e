//! Ports for the payment providers and their HTTP clients (ARCHITECTURE.md: `juchu-providers`).
