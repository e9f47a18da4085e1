"""Translation engines behind `pipeline.translate` (import the public names from there)."""
