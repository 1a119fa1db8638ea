"""Tests for siyu.orders."""
