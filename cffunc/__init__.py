"""cffunc: maintenance mode for Amazon CloudFront with a CloudFront Function.

The pipeline, one module per stage: ``config`` (read and validate cffunc.toml) ->
``rules`` (what the function must decide, resolved from the config and the
environment) -> ``render`` (JavaScript from ``js_templates/``) and ``decide`` (the
same rules in Python, the oracle the JavaScript is tested against) -> ``runtime``
(run function code in V8 the way CloudFront does).
"""

__version__ = "0.1.0"
