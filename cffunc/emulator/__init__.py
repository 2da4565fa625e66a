"""A local CloudFront API for tests, CI and trying cffunc without AWS.

Install with ``pip install 'cffunc[emulator]'``; see :mod:`cffunc.emulator.server`.
"""
