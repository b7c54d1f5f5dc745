"""runctl: GPU training environments on AWS from a YAML spec."""

__version__ = "0.1.0"
