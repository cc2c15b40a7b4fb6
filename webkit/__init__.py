"""HTTP plumbing both APIs share: bearer JWTs and roles, problem+json, correlation and metrics."""
