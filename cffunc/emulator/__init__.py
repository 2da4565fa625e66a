"""A local CloudFront API for tests, CI and trying cffunc without AWS (``pip install 'cffunc[emulator]'``)."""
