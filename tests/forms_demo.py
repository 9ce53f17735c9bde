"""The demo county 赣榆区 (simulated data, 2022) computed once per test session for the form tests."""

from __future__ import annotations

from functools import cache


@cache
def demo_dataset():
    from lyganalysis.datasets import load_dataset

    return load_dataset("lianyungang_demo")


@cache
def gy_inputs():
    from lyganalysis.forms.submission import county_inputs

    return county_inputs(demo_dataset(), "赣榆区", 2022)
