"""The production settings (config.settings, read from the environment) plus the baseline
routes the benchmark compares against. Nothing else differs from what production runs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
