from autobound.ops import OPS  # noqa: F401
