"""Everything XLA: lowering funcgrad Programs to StableHLO text, and the PJRT runtime."""
