"""Tests of the test backends (tests/backends): real containers, real drivers."""
