"""Model and calibration fitting: the stance model (stance*), its synthetic pairs, ONNX bases, the verdict
calibrator and the check-worthiness model. Never imported by the runtime (index/, service/ but the CLI's
`train-stance`, which imports it when run)."""
