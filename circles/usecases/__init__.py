"""The engine's use cases, one small module per area. Each takes an `Actor` (or a session and
tenant-scoped ids), either completes or raises `DomainError` before anything is committed, and
returns typed facts; what is to be said later goes to the outbox as a typed notice."""
