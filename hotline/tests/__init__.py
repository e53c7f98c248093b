"""Tests of the hotline app."""
