"""Customer value: RFM segments, CLV, LTV:CAC, cohorts and the snapshots behind them."""
