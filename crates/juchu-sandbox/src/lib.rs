//! Provider simulators served over HTTP (ARCHITECTURE.md: `juchu-sandbox`).
