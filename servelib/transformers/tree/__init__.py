"""Flat-array decision trees shared by DT/RF/GBT (and XGBoost)."""
