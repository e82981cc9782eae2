"""Kontor's settings plus two pages that show what any page costs at least (bench/crm.py's floor rows)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench._floor_urls"
