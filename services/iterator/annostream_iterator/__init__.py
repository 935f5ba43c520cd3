"""Iterator service: which frame each annotator gets (order, seed, repetition, leases)."""
